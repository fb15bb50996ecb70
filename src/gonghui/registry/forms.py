"""Registry forms: parse and show errors next to fields; services do the writing."""

from datetime import date

from django import forms

from gonghui.common.forms import FilterForm
from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR, MAX_ID
from gonghui.orgs import access
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person, Trade, Unit
from gonghui.registry.models import Category, Honour


class WallForm(FilterForm):
    """The honour wall's search: a name and what the wall shows of everyone on it (their
    honours and years). Nothing a person may hide can filter it (their node, trade, status
    or category), or the filter would reveal what they hid."""

    q = forms.CharField(label="姓名、拼音、首字母或单位", required=False, max_length=200)
    honour = forms.ModelChoiceField(
        label="荣誉", required=False, queryset=Honour.objects.all(), empty_label="全部荣誉"
    )
    year_from = forms.IntegerField(
        label="年份自", required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    year_to = forms.IntegerField(
        label="至", required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("year_from"), data.get("year_to")
        if start and end and start > end:
            self.add_error("year_to", f"不能早于起始年份 {start}")
        return data

    def person_filters(self):
        """The search's filters (a choice as its record's id), or None while any is invalid
        (``FilterForm.filters``)."""
        from gonghui.registry.selectors import PersonFilters

        data = self.filters()
        if data is None:
            return None
        data = {name: getattr(value, "pk", value) for name, value in data.items()}
        return PersonFilters(query=data.pop("q", ""), **data)


class SearchForm(WallForm):
    """The staff search: the wall's filters and those only staff may use."""

    trade = forms.ModelChoiceField(
        label="工种", required=False, queryset=Trade.objects.all(), empty_label="全部工种"
    )
    category = forms.ModelChoiceField(
        label="类别", required=False, queryset=Category.objects.all(), empty_label="全部类别"
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *Person.Status.choices]
    )
    org_unit = forms.IntegerField(
        label="所属工会", required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )


class AwardForm(forms.Form):
    honour = forms.ModelChoiceField(label="荣誉", queryset=Honour.objects.none())
    year = forms.IntegerField(label="年份", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    batch = forms.CharField(
        label="批次", required=False, max_length=40, help_text="如“第13批”，可不填"
    )
    categories = forms.ModelMultipleChoiceField(
        label="类别",
        required=False,
        queryset=Category.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    document = forms.FileField(
        label="证书或表彰文件", required=False, help_text="PDF、Word 或图片，可稍后补传"
    )
    deeds = forms.CharField(
        label="事迹", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, actor, subject: str, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [
            h.pk
            for h in Honour.objects.select_related("conferring_unit")
            if h.subject == subject and access.can_at(actor, "registry.award", h.conferring_unit)
        ]
        self.fields["honour"].queryset = Honour.objects.filter(pk__in=allowed)
        self.fields["year"].initial = date.today().year


class RevokeForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=200)


class MergeForm(forms.Form):
    loser = forms.IntegerField(label="被合并的档案")


class ShareForm(forms.Form):
    """Which campaign's category share to show (e.g. 科技创新人员 in 2020's 北京市劳动模范)."""

    honour = forms.ModelChoiceField(label="荣誉", queryset=Honour.objects.all())
    year = forms.IntegerField(label="年份", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    category = forms.ModelChoiceField(label="类别", queryset=Category.objects.all())


class DictionaryForm(forms.Form):
    honour = forms.ModelChoiceField(
        label="荣誉", queryset=Honour.objects.filter(subject=Honour.Subject.INDIVIDUAL)
    )
    format = forms.ChoiceField(
        label="格式", choices=[("html", "打印版网页"), ("docx", "Word 文档")]
    )


class ImportForm(forms.Form):
    file = forms.FileField(label="档案文件（.xlsx，按模板填写）")


class MediaForm(forms.Form):
    portrait = forms.FileField(label="照片（PNG/JPEG）", required=False)
    video_url = forms.URLField(
        label="微视频链接（https://）", required=False, max_length=200, assume_scheme="https"
    )


class UnitForm(forms.Form):
    name = forms.CharField(label="单位/集体名称", max_length=120)
    credit_code = forms.CharField(
        label="统一社会信用代码", required=False, max_length=30, help_text="18位；班组、部门可不填"
    )
    kind = forms.ChoiceField(label="类型", choices=Unit.Kind.choices)
    org_unit = OrgUnitChoiceField(label="所属工会", queryset=OrgUnit.objects.none())

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = access.visible_units(actor, "registry.change")


class HonourForm(forms.Form):
    code = forms.SlugField(label="代码（英文）", max_length=40)
    name = forms.CharField(label="荣誉名称", max_length=60)
    level = forms.ChoiceField(label="级别", choices=Honour.Level.choices)
    subject = forms.ChoiceField(label="授予对象", choices=Honour.Subject.choices)
    conferred_by = forms.CharField(label="授予机关", max_length=120)
    conferring_unit = OrgUnitChoiceField(label="管理层级", queryset=OrgUnit.objects.none())
    first_year = forms.IntegerField(label="首次授予年份", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    cycle = forms.CharField(label="评选周期", required=False, max_length=40)
    is_title = forms.BooleanField(label="工匠称号", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conferring_unit"].queryset = access.visible_units(
            actor, "registry.catalogue"
        ).filter(level__in=["city", "district", "industry"])
