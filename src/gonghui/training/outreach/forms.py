"""Outreach forms: they parse and put errors beside their fields (in Chinese); the services
check the rest and name the field they refuse (the same names as here)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from gonghui.common.forms import FilterForm
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.training.models import Alliance, Problem, Talk, Visit
from gonghui.training.outreach.selectors import ACTIVITY_KINDS

DATE = {"type": "date"}


def _say(form: forms.Form) -> None:
    """Each field's "required" and "invalid" messages name it (not Django's)."""
    for field in form.fields.values():
        choose = isinstance(field, forms.ChoiceField)
        field.error_messages["required"] = f"请{'选择' if choose else '填写'}{field.label}"
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = f"{field.label}应为日期（年-月-日）"
        elif isinstance(field, forms.IntegerField):
            field.error_messages["invalid"] = f"{field.label}应为整数"
        if choose:
            field.error_messages["invalid_choice"] = f"请从列表中选择{field.label}"


class Form(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _say(self)


def _day(label: str, required=True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE))


def _units(label: str, queryset, required=True) -> OrgUnitChoiceField:
    return OrgUnitChoiceField(
        label=label, queryset=queryset, empty_label="请选择", required=required
    )


def _count(label: str, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(label=label, widget=forms.NumberInput(attrs={"min": 0}), **kwargs)


def _text(label: str, max_length: int, rows: int = 0, required=True) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget)


# --- Bureaus and talks ----------------------------------------------------------------------


class TeamForm(Form):
    name = _text("宣讲团名称", 120)
    founded_on = _day("成立日期", required=False)
    description = _text("简介", 2000, rows=3, required=False)


class TeamCreateForm(TeamForm):
    field_order = ["org_unit", "name", "founded_on", "description"]

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = _units("组建工会", units)
        self.order_fields(self.field_order)
        _say(self)


class SpeakerForm(Form):
    person = forms.IntegerField(label="宣讲员", widget=forms.HiddenInput)
    topics = _text("宣讲题目", 300)


class TalkForm(Form):
    org_unit = _units("预约工会", None)
    on = _day("宣讲日期")
    topic = _text("宣讲题目", 200)
    place = _text("地点", 120)
    audience = _text("听众", 200, required=False)
    expected = _count("预计人数", initial=0)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units
        if units.count() == 1:
            self.fields["org_unit"].initial = units.first()


class ConfirmForm(Form):
    speaker = forms.ModelChoiceField(label="宣讲员", queryset=None, empty_label="请选择")

    def __init__(self, *args, speakers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speaker"].queryset = speakers
        self.fields["speaker"].label_from_instance = lambda s: f"{s.person.name}（{s.topics}）"


class CancelForm(Form):
    reason = _text("取消原因", 200)


class ReportForm(Form):
    attendance = _count("实到人数")


class TalkFilters(FilterForm):
    q = forms.CharField(label="题目", required=False, max_length=60)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Talk.Status.choices]
    )
    district = OrgUnitChoiceField(
        label="区（产业）", required=False, queryset=None, empty_label="全部"
    )
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        _say(self)


class TeamFilters(FilterForm):
    q = forms.CharField(label="名称", required=False, max_length=60)


# --- Reception days ---------------------------------------------------------------------------


class VisitForm(Form):
    org_unit = _units("组织工会", None)
    on = _day("接待日日期")
    participants = _text("参加人员", 300)
    notes = _text("走访与座谈纪要", 8000, rows=4, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units


class AdvanceForm(Form):
    to = forms.ChoiceField(label="下一阶段", choices=Visit.Stage.choices)
    notes = _text("纪要", 4000, rows=3, required=False)


class ProblemForm(Form):
    text = _text("问题", 2000, rows=3)
    raised_by = _text("提出人", 60, required=False)
    assignee = _units("责任单位", None)
    days = _count("办理时限（工作日）")

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = units
        self.fields["days"].initial = settings.TRAINING_PROBLEM_DAYS
        self.fields["days"].help_text = "从交办次日起按工作日计算（扣除法定节假日，含调休上班日）"


class AnswerForm(Form):
    answer = _text("答复", 4000, rows=4)


class CloseForm(Form):
    told_how = _text("告知企业的方式", 120)


class AssignForm(Form):
    assignee = _units("新的责任单位", None)
    days = _count("办理时限（工作日）")
    note = _text("改派说明", 200, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = units
        self.fields["days"].initial = settings.TRAINING_PROBLEM_DAYS


class VisitFilters(FilterForm):
    q = forms.CharField(label="企业", required=False, max_length=60)
    stage = forms.ChoiceField(
        label="阶段", required=False, choices=[("", "全部"), *Visit.Stage.choices]
    )
    district = OrgUnitChoiceField(
        label="区（产业）", required=False, queryset=None, empty_label="全部"
    )
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        _say(self)


class ProblemFilters(FilterForm):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), ("pending", "未办结"), *Problem.Status.choices],
    )
    assignee = OrgUnitChoiceField(
        label="责任单位", required=False, queryset=None, empty_label="全部"
    )
    overdue = forms.BooleanField(label="只看超期", required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = units
        _say(self)


# --- Alliances -------------------------------------------------------------------------------


class AllianceForm(Form):
    name = _text("联盟名称", 120)
    founded_on = _day("成立日期", required=False)
    description = _text("简介", 2000, rows=3, required=False)


class AllianceCreateForm(AllianceForm):
    field_order = ["org_unit", "kind", "name", "founded_on", "description"]

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = _units("发起工会", units)
        self.fields["kind"] = forms.ChoiceField(
            label="联盟类型", choices=[("", "请选择"), *Alliance.Kind.choices]
        )
        self.order_fields(self.field_order)
        _say(self)


class MemberForm(Form):
    member = forms.IntegerField(label="成员", widget=forms.HiddenInput)
    joined_on = _day("加入日期", required=False)


class ActivityForm(Form):
    on = _day("活动日期")
    title = _text("活动名称", 200)
    kind = forms.ChoiceField(
        label="形式", choices=[("", "请选择")] + [(k, k) for k in ACTIVITY_KINDS]
    )
    participants = _count("参加人数", initial=0)
    summary = _text("活动内容", 4000, rows=3, required=False)


class AllianceFilters(FilterForm):
    q = forms.CharField(label="名称", required=False, max_length=60)
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部"), *Alliance.Kind.choices]
    )
