"""Forms of the programmes pages: parse and show errors next to fields, in Chinese; the
services do the writing (and name what they refuse next to the same fields)."""

from __future__ import annotations

import json

from django import forms

from gonghui.funds.models import Hardship, LedgerEntry, Programme
from gonghui.funds.programmes import selectors
from gonghui.orgs.fields import OrgUnitChoiceField

DAY = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def day(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DAY, input_formats=["%Y-%m-%d"], **kwargs)


class SettingsForm(forms.Form):
    name = forms.CharField(label="项目名称", max_length=120)
    description = forms.CharField(
        label="项目说明", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    entry = forms.ChoiceField(label="纳入方式", choices=Programme.Entry.choices)
    levels = forms.TypedChoiceField(
        label="审核层级",
        coerce=int,
        choices=[(2, "两级：基层核实 → 区级审核"), (3, "三级：再经市级审批")],
    )
    opens_on = day("申请开始", required=False)
    closes_on = day("申请截止", required=False)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def clean(self):
        data = super().clean()
        opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", "申请截止日期不能早于申请开始日期")
        return data


def parse_rule(text: str, field: str = "rule") -> dict:
    """The JSON editor's text as a rule object, or a ValidationError saying where it breaks."""
    try:
        rule = json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列（{exc.msg}）"
        ) from None
    if not isinstance(rule, dict):
        raise forms.ValidationError("规则应为 JSON 对象（以 { 开始）")
    return rule


class ProgrammeForm(SettingsForm):
    org_unit = OrgUnitChoiceField(label="主办工会", queryset=None)
    code = forms.SlugField(
        label="项目代码", max_length=40, help_text="字母、数字、连字符，如 cert-2026"
    )
    kind = forms.ChoiceField(label="项目类型", choices=Programme.Kind.choices)
    rule = forms.CharField(
        label="规则（JSON）",
        widget=forms.Textarea(attrs={"rows": 10, "class": "code", "spellcheck": "false"}),
        help_text='金额以“分”为单位，如固定金额：{"kind": "fixed", "amount": 300000}',
    )
    field_order = ["org_unit", "code", "name", "kind", "entry", "levels"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = selectors.organising_units(actor)

    def clean_rule(self):
        return parse_rule(self.cleaned_data["rule"])


class RuleForm(forms.Form):
    rule = forms.CharField(
        label="规则（JSON）",
        widget=forms.Textarea(attrs={"rows": 18, "class": "code", "spellcheck": "false"}),
        help_text="金额以“分”为单位（2,000元 = 200000）；保存后成为新版本，旧版本保留",
    )
    note = forms.CharField(label="修改说明", max_length=200, help_text="如：2027年起一级补贴提高")

    def clean_rule(self):
        return parse_rule(self.cleaned_data["rule"])


class BudgetForm(forms.Form):
    org_unit = OrgUnitChoiceField(label="预算单位", queryset=None)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    amount = forms.CharField(
        label="预算金额（元）", max_length=24, help_text="如 600000 或 600,000.00，最多两位小数"
    )

    def __init__(self, *args, actor, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = selectors.budget_units(actor, programme)


class CorrectionForm(forms.Form):
    note = forms.CharField(
        label="冲正原因", max_length=200, help_text="必填：说明为何冲正此记录（记入审计日志）"
    )


class LedgerFilters(forms.Form):
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部"), *LedgerEntry.Kind.choices]
    )
    month = forms.RegexField(
        label="月份", required=False, regex=r"^[0-9]{4}-[0-9]{2}$", max_length=7
    )
    org_unit = OrgUnitChoiceField(label="单位", required=False, queryset=None)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = selectors.funds_units(actor)
        self.fields["month"].error_messages["invalid"] = "月份格式应为 2026-01"

    def filters(self) -> dict | None:
        if not self.is_valid():
            return None
        return {k: v for k, v in self.cleaned_data.items() if v}


class HardshipFilters(forms.Form):
    q = forms.CharField(label="姓名", required=False, max_length=30)
    grade = forms.ChoiceField(
        label="困难等级", required=False, choices=[("", "全部"), *Hardship.Grade.choices]
    )
    district = OrgUnitChoiceField(label="区（产业）", required=False, queryset=None)
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("open", "有效"), ("ended", "已终止"), ("all", "全部")],
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = selectors.funds_units(actor).exclude(level="city")

    def filters(self) -> dict | None:
        if not self.is_valid():
            return None
        data = self.cleaned_data
        state = data.get("state") or "open"
        return {
            "q": data.get("q", "").strip(),
            "grade": data.get("grade", ""),
            "district": data.get("district"),
            "state": "" if state == "all" else state,
        }


class HardshipForm(forms.Form):
    grade = forms.ChoiceField(label="困难等级", choices=Hardship.Grade.choices)
    since = day("认定日期")
    note = forms.CharField(
        label="情况说明", required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )


class HardshipEndForm(forms.Form):
    until = day("失效日期")
    note = forms.CharField(label="说明", required=False, max_length=200)
