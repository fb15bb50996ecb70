"""Nomination forms: parse and show errors next to fields; services do the writing."""

import re
from datetime import date

from django import forms

from gonghui.calendar.notice import elsewhere_notes, parse_notice
from gonghui.common.errors import ValidationFailed
from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.common.views import apply_errors
from gonghui.common.workdays import today
from gonghui.nominations.models import DEFAULT_NOTICE_FIELDS, NOTICE_FIELDS, Objection, Rule
from gonghui.nominations.selectors import candidates
from gonghui.nominations.services import ATTENDANCE_MAX, QUOTA_MAX
from gonghui.nominations.workflow import AFTER_NOTICE, TRANSITIONS
from gonghui.orgs import access
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.registry.models import Category, Honour

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})  # what <input type=date> reads


def _bounded(label: str, low: int, high: int) -> forms.IntegerField:
    """A whole number within [low, high], its error naming the field (as the service's does:
    a refused action shows only the message)."""
    message = f"{label}应为{low}至{high}"
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        error_messages={"min_value": message, "max_value": message},
    )


class NominationForm(forms.Form):
    person = forms.ModelChoiceField(label="被推荐人", queryset=Person.objects.none())
    categories = forms.ModelMultipleChoiceField(
        label="类别",
        required=False,
        queryset=Category.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="name",
    )
    brief = forms.CharField(
        label="简要事迹",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 500}),
        help_text="不超过500字，用于公示",
    )
    deeds = forms.CharField(
        label="详细事迹",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="2000字左右",
    )
    meeting_on = forms.DateField(label="事迹报告会日期", widget=DATE)
    meeting_attendance = _bounded("参会人数", 1, ATTENDANCE_MAX)
    meeting_result = forms.CharField(
        label="民主评议结果", max_length=200, help_text="如：赞成52票、反对0票、弃权4票"
    )
    form_file = forms.FileField(label="推荐表（PDF、Word 或图片）")

    def __init__(self, *args, unit, replacing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if replacing:
            self.fields["reason"] = forms.CharField(label="替换原因", max_length=500)
        self.fields["person"].queryset = candidates(org_unit=unit)


class CampaignForm(forms.Form):
    honour = forms.ModelChoiceField(label="荣誉", queryset=Honour.objects.none())
    year = forms.IntegerField(label="年度", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    name = forms.CharField(
        label="名称", required=False, max_length=120, help_text="不填则为“某年某荣誉评选”"
    )
    nominate_from = forms.DateField(label="推荐开始", widget=DATE)
    nominate_until = forms.DateField(label="推荐截止", widget=DATE)
    notice_days = forms.IntegerField(label="公示期（天）", min_value=1, max_value=30, initial=5)
    notice_calendar_days = forms.BooleanField(
        label="公示期按自然日计算（默认按工作日，扣除法定节假日并计入调休上班日）", required=False
    )
    notice_fields = forms.MultipleChoiceField(
        label="公示内容",
        choices=list(NOTICE_FIELDS.items()),
        initial=DEFAULT_NOTICE_FIELDS,
        widget=forms.CheckboxSelectMultiple,
    )
    objection_contact = forms.CharField(
        label="异议受理方式", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["honour"].queryset = Honour.objects.filter(
            access.scope_q(actor, "nominations.manage", via="conferring_unit")
        ).order_by("sort", "pk")


class QuotaForm(forms.Form):
    org_unit = OrgUnitChoiceField(label="推荐单位", queryset=OrgUnit.objects.none())
    allowed = _bounded("名额", 0, QUOTA_MAX)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = (
            OrgUnit.objects.filter(
                access.subtree_q(campaign.org_unit),
                is_active=True,
                depth__lte=campaign.org_unit.depth + 2,
            )
            .exclude(pk=campaign.org_unit_id)
            .order_by("path")
        )


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label="规则", choices=Rule.Kind.choices)
    attribute = forms.ChoiceField(label="条件", choices=Rule.Attribute.choices)
    value = forms.CharField(
        label="取值", required=False, max_length=40, help_text="岗位类别或类别名称；一线职工不填"
    )
    percent = forms.IntegerField(label="比例（%）", required=False, min_value=0, max_value=100)
    per_node = forms.BooleanField(label="按各推荐单位分别计算", required=False)


class AdvanceForm(forms.Form):
    """A review step for the nominees ticked in the list (or one nominee)."""

    action = forms.ChoiceField(
        label="办理", choices=[(a, TRANSITIONS[a].label) for a in AFTER_NOTICE]
    )
    opinion = forms.CharField(
        label="意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, steps: list[tuple[str, str]] | None = None, **kwargs):
        """``steps``: only these (the page's viewer's, named for the campaign's level)."""
        super().__init__(*args, **kwargs)
        if steps is not None:
            self.fields["action"].choices = steps


class NoticeForm(forms.Form):
    starts_on = forms.DateField(label="公示开始日期", widget=DATE, initial=today)
    title = forms.CharField(label="标题", required=False, max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500)


class ClearanceForm(forms.Form):
    department = forms.ChoiceField(label="部门")
    opinion = forms.CharField(label="意见", max_length=500)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d, d) for d in departments]


class ObjectionForm(forms.Form):
    """A visitor's objection on the public notice page."""

    nomination = forms.TypedChoiceField(label="反映对象", coerce=int)
    anonymous = forms.BooleanField(label="匿名反映（不留姓名和联系方式）", required=False)
    name = forms.CharField(label="姓名", required=False, max_length=60)
    contact = forms.CharField(
        label="联系电话或电子邮箱", required=False, max_length=100, help_text="实名反映须填写"
    )
    text = forms.CharField(
        label="反映的问题和事实",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="请写明具体事实和线索，便于核查",
    )
    evidence = forms.FileField(
        label="证明材料（可选）", required=False, help_text="PDF、Word 或图片，不超过上传上限"
    )

    def __init__(self, *args, nominees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nomination"].choices = [(n.pk, n.person.name) for n in nominees]


class StaffObjectionForm(ObjectionForm):
    channel = forms.ChoiceField(
        label="渠道", choices=[c for c in Objection.Channel.choices if c[0] != "online"]
    )


class TriageForm(forms.Form):
    admissible = forms.TypedChoiceField(
        label="受理",
        choices=[("1", "受理，开始核查"), ("0", "不予受理")],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label="说明", required=False, max_length=500)


class ResolveForm(forms.Form):
    verification = forms.CharField(
        label="核查情况", max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    finding = forms.ChoiceField(label="结论", choices=Objection.Finding.choices)
    note = forms.CharField(
        label="结论说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CalendarForm(forms.Form):
    """A year's schedule as the State Council publishes it: the notice's full text pasted,
    or one line per holiday."""

    year = forms.IntegerField(label="年份", min_value=2004, max_value=2100)
    notice = forms.CharField(
        label="通知全文",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="粘贴《国务院办公厅关于××××年部分节假日安排的通知》全文，自动读出放假与上班日；"
        "也可不填，在下面逐行录入",
    )
    basis = forms.CharField(
        label="依据", max_length=200, required=False, help_text="通知名称及文号（粘贴全文时可不填）"
    )
    holidays = forms.CharField(
        label="放假安排",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="每行一个：节日名称 开始日期 至 结束日期，如“春节 2027-02-06 至 2027-02-14”",
    )
    workdays = forms.CharField(
        label="调休上班日",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个：名称 日期，如“春节调休 2027-02-20”",
    )

    elsewhere: list[str] = []  # what a pasted notice said of another year's days (not entered)

    def clean(self):
        data = super().clean()
        notice = data.pop("notice", "").strip()
        if notice and "year" in data:
            if data.get("holidays") or data.get("workdays"):
                raise forms.ValidationError("粘贴了通知全文时，请不要再逐行录入放假安排")
            try:
                schedule = parse_notice(notice, data["year"])
            except ValidationFailed as exc:
                apply_errors(self, exc)
                return data
            data.update(holidays=schedule.holidays, workdays=schedule.workdays)
            data["basis"] = data.get("basis") or schedule.basis
            self.elsewhere = elsewhere_notes(schedule)
        elif not notice and not data.get("holidays") and "holidays" not in self.errors:
            self.add_error("holidays", "请粘贴通知全文，或逐行录入放假安排")
        return data

    def clean_holidays(self):
        rows = []
        for n, line in enumerate(_lines(self.cleaned_data["holidays"]), start=1):
            match = re.fullmatch(
                r"(\S+)\s+(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:至|~|-{2})\s*(\S+))?", line
            )
            if not match:
                raise forms.ValidationError(f"第 {n} 行格式应为“节日名称 开始日期 至 结束日期”")
            first = _date(match.group(2), n)
            rows.append(
                (first, _date(match.group(3), n) if match.group(3) else first, match.group(1))
            )
        return rows

    def clean_workdays(self):
        rows = []
        for n, line in enumerate(_lines(self.cleaned_data["workdays"]), start=1):
            match = re.fullmatch(r"(\S+)\s+(\d{4}-\d{1,2}-\d{1,2})", line)
            if not match:
                raise forms.ValidationError(f"第 {n} 行格式应为“名称 日期”")
            rows.append((_date(match.group(2), n), match.group(1)))
        return rows


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _date(text: str, n: int) -> date:
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise forms.ValidationError(f"第 {n} 行的日期 {text} 不存在") from None
