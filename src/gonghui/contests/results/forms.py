"""Forms of the results pages: the advancing list the chief referee saw, the talent
database's filters. Messages next to the field, in Chinese."""

from django import forms

from gonghui.common.forms import FilterForm
from gonghui.contests.results.selectors import TALENT_SORTS, TITLE_FILTERS
from gonghui.people.models import Person, Trade


class IdsField(forms.Field):
    """A list of record ids posted as repeated fields (hidden: the list shown on the page)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            raise forms.ValidationError("晋级名单格式有误，请刷新页面后重试") from None


class AdvanceForm(forms.Form):
    advancing = IdsField(label="晋级名单", required=False)


class TalentForm(FilterForm):
    q = forms.CharField(label="姓名、拼音、首字母或单位", required=False, max_length=40)
    trade = forms.ModelChoiceField(
        label="参赛工种", required=False, queryset=Trade.objects.all(), empty_label="全部工种"
    )
    level = forms.ChoiceField(
        label="技能等级",
        required=False,
        choices=[("", "全部等级"), *Person.SkillLevel.choices],
    )
    title = forms.ChoiceField(
        label="称号", required=False, choices=[("", "不限"), *TITLE_FILTERS.items()]
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("", ""), *((k, k) for k in TALENT_SORTS)],
        widget=forms.HiddenInput,
    )

    def talent_filters(self) -> dict | None:
        """The selector's arguments, or None while a filter is invalid."""
        data = self.filters()
        if data is None:
            return None
        if "trade" in data:
            data["trade"] = data["trade"].pk
        if "q" in data:
            data["query"] = data.pop("q")
        return data
