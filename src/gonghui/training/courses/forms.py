"""Forms of the courses pages: parse and show errors next to fields, in Chinese; the
services do the writing (and name what they refuse next to the same fields)."""

from __future__ import annotations

from django import forms

from gonghui.common.forms import FilterForm
from gonghui.common.schemas import MAX_ID
from gonghui.orgs import access
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.orgs.models import OrgUnit
from gonghui.perks.giveaways.forms import moment
from gonghui.training.courses import selectors
from gonghui.training.courses.services import MAX_CAPACITY, MODES
from gonghui.training.models import Course

CHOOSE = "请选择"


def person_id(label: str = "会员", *, required: bool = True) -> forms.IntegerField:
    """A hidden person id: a record's id or nothing (beyond ``MAX_ID`` no row can have it,
    and the database would refuse to compare it)."""
    return forms.IntegerField(
        label=label,
        required=required,
        widget=forms.HiddenInput,
        min_value=1,
        max_value=MAX_ID,
        error_messages={
            "invalid": f"请从列表中选择{label}",
            "min_value": f"请从列表中选择{label}",
            "max_value": f"请从列表中选择{label}",
        },
    )


class CourseFilters(FilterForm):
    q = forms.CharField(label="名称或合作单位", required=False, max_length=60)
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部"), *Course.Kind.choices]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Course.Status.choices]
    )
    node = OrgUnitChoiceField(label="主办工会", required=False, queryset=None, empty_label="全部")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = (
            access.visible_units(actor, selectors.VIEW)
            .filter(level__in=("city", "district", "industry"))
            .order_by("path")
        )


class CourseForm(forms.Form):
    name = forms.CharField(label="课程名称", max_length=120)
    kind = forms.ChoiceField(label="类型", choices=[("", CHOOSE), *Course.Kind.choices])
    partner = forms.CharField(
        label="合作单位", required=False, max_length=120, help_text="如：首都工匠学院"
    )
    description = forms.CharField(
        label="简介", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CourseCreateForm(CourseForm):
    org_unit = OrgUnitChoiceField(label="主办工会", queryset=None, empty_label=CHOOSE)
    field_order = ["org_unit", "name", "kind", "partner", "description"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = selectors.organising_units(actor)


class SessionForm(forms.Form):
    title = forms.CharField(label="主题", max_length=120)
    modes = forms.MultipleChoiceField(
        label="形式",
        required=False,
        choices=[(m, m) for m in MODES],
        widget=forms.CheckboxSelectMultiple,
    )
    place = forms.CharField(label="地点", max_length=120)
    starts_at = moment("开始时间")
    ends_at = moment("结束时间")
    capacity = forms.IntegerField(label="名额", min_value=1, max_value=MAX_CAPACITY)
    lecturer = person_id("主讲人", required=False)
    lecturer_name = forms.CharField(
        label="外请主讲人", required=False, max_length=60, help_text="主讲人不在平台人员库中时填写"
    )
    audience = OrgUnitChoiceField(
        label="面向", required=False, queryset=None, empty_label="全体会员"
    )
    enrol_opens_at = moment("报名开始")
    enrol_closes_at = moment("报名截止")

    def __init__(self, *args, course: Course, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["audience"].queryset = OrgUnit.objects.filter(
            access.subtree_q(course.org_unit), is_active=True
        ).order_by("path")

    def clean_lecturer(self):
        pk = self.cleaned_data.get("lecturer")
        if pk is None:
            return None
        try:
            return selectors.lecturer_of(self.actor, pk)
        except Exception:  # noqa: BLE001 — NotFound: not a person the actor may pick
            raise forms.ValidationError("请从搜索结果中选择主讲人") from None


class CancelSessionForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=200)


class EnrolForm(forms.Form):
    person = person_id()


class MarkForm(forms.Form):
    person = person_id()


class BulkForm(forms.Form):
    people = forms.MultipleChoiceField(
        label="已报名人员",
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    file = forms.FileField(
        label="签到表（Excel，含“身份证号”列）", required=False, help_text=".xlsx 或 .csv"
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = choices

    def clean(self):
        data = super().clean()
        if not data.get("people") and not data.get("file"):
            self.add_error("people", "请选择签到人员，或上传签到表")
        return data


class CodeForm(forms.Form):
    code = forms.CharField(label="证书验证码", max_length=20, min_length=1)
