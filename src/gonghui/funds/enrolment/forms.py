"""Enrolment forms: parse and say what is wrong next to the field, in Chinese; the services
decide (and name what they refuse next to the same fields)."""

from __future__ import annotations

from django import forms

from gonghui.common.forms import FilterForm
from gonghui.funds.enrolment import selectors
from gonghui.funds.models import Entitlement, Hardship
from gonghui.orgs.fields import OrgUnitChoiceField

DAY = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class RunForm(forms.Form):
    org_unit = OrgUnitChoiceField(label="发放工会", queryset=None, empty_label=None)
    name = forms.CharField(label="名称", max_length=120, help_text="如：2027年春节慰问")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    deadline = forms.DateField(
        label="发放截止",
        required=False,
        widget=DAY,
        help_text="留空：按节假日安排取该年春节前最后一个工作日",
    )

    def __init__(self, *args, actor, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = selectors.managing_units(actor, programme)


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=200)


class LineFilters(FilterForm):
    q = forms.CharField(label="姓名或业务编号", required=False, max_length=60)
    grade = forms.ChoiceField(
        label="困难等级", required=False, choices=[("", "全部"), *Hardship.Grade.choices]
    )
    unit = OrgUnitChoiceField(label="下级工会", required=False, queryset=None, empty_label="全部")
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Entitlement.Status.choices]
    )

    def __init__(self, *args, subdivisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = subdivisions
