from django import forms

from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.dashboards.selectors import Years
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.orgs.models import OrgUnit

YEAR_MESSAGES = {
    "min_value": f"年份须在 {FIRST_YEAR}—{LAST_YEAR} 之间",
    "max_value": f"年份须在 {FIRST_YEAR}—{LAST_YEAR} 之间",
    "invalid": "请填写四位数的年份",
}


def _year(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages=YEAR_MESSAGES,
    )


class FilterForm(forms.Form):
    """The dashboards' filters: a node (the drill-down's place) and a year range."""

    node = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": "组织不存在"},
    )
    year_from = _year("起始年份")
    year_to = _year("截止年份")

    def clean(self):
        data = super().clean()
        first, last = data.get("year_from"), data.get("year_to")
        if first is not None and last is not None and first > last:
            raise forms.ValidationError("起始年份不能晚于截止年份")
        return data

    def years(self) -> Years:
        return Years(self.cleaned_data.get("year_from"), self.cleaned_data.get("year_to"))


class DisplayTokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=60, help_text="如：市总工会一楼大厅大屏")
    org_unit = OrgUnitChoiceField(
        label="展示范围",
        queryset=OrgUnit.objects.none(),
        help_text="大屏只显示该组织及其下级的汇总数据",
    )
    expires_at = forms.DateTimeField(
        label="有效期至",
        required=False,
        help_text="留空为长期有效（可随时吊销）；格式如 2026-12-31 18:00",
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units
