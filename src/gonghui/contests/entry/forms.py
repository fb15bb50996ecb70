"""Registration forms: parse and show errors next to their fields; the services check the
rest (phone and ID formats, age range, the window) and name the field they refuse."""

from django import forms

from gonghui.contests.entry.services import AGE_MAX, AGE_MIN
from gonghui.contests.models import Entrant

BIG = {"class": "big"}  # large targets on a phone
OUT_OF_RANGE = f"参赛年龄应在{AGE_MIN}至{AGE_MAX}周岁之间"
AGE_ERRORS = {"min_value": OUT_OF_RANGE, "max_value": OUT_OF_RANGE, "invalid": "年龄应为整数"}


class JoinForm(forms.Form):
    """Anyone, on a phone, without an account."""

    name = forms.CharField(
        label="姓名", max_length=60, widget=forms.TextInput(attrs={**BIG, "autocomplete": "name"})
    )
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        help_text="用于通知比赛安排，不会公开",
        widget=forms.TextInput(attrs={**BIG, "inputmode": "tel", "autocomplete": "tel"}),
    )
    age = forms.IntegerField(
        label="年龄",
        min_value=AGE_MIN,
        max_value=AGE_MAX,
        required=False,
        help_text=f"报名不设门槛，{AGE_MIN}至{AGE_MAX}周岁均可报名（填写身份证号时可不填）",
        widget=forms.NumberInput(attrs={**BIG, "inputmode": "numeric"}),
        error_messages=AGE_ERRORS,
    )
    employer_name = forms.CharField(
        label="工作单位", max_length=120, widget=forms.TextInput(attrs=BIG)
    )
    id_number = forms.CharField(
        label="身份证号（选填）",
        max_length=20,
        required=False,
        help_text=(
            "选填。填写后，您在平台已有的劳模工匠档案会自动关联，比赛成绩与称号记入同一份档案，"
            "不会重复建档；身份证号加密保存，任何页面都不会完整显示。"
        ),
        widget=forms.TextInput(attrs={**BIG, "autocomplete": "off"}),
    )


class MemberJoinForm(forms.Form):
    """A logged-in member: one tap; their record gives the rest (each may be corrected)."""

    employer_name = forms.CharField(
        label="工作单位",
        max_length=120,
        required=False,
        help_text="默认为档案中的工作单位；单位有变化时请填写现单位",
        widget=forms.TextInput(attrs=BIG),
    )
    age = forms.IntegerField(
        label="年龄",
        min_value=AGE_MIN,
        max_value=AGE_MAX,
        required=False,
        help_text="档案中没有出生日期时填写",
        widget=forms.NumberInput(attrs={**BIG, "inputmode": "numeric"}),
        error_messages=AGE_ERRORS,
    )

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is not None and person.employer_id:
            self.fields["employer_name"].widget.attrs["placeholder"] = person.employer.name
        if person is not None and person.birth_date:
            del self.fields["age"]


class NominateForm(forms.Form):
    person = forms.IntegerField(label="被推荐人", min_value=1, widget=forms.HiddenInput)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="退赛原因", max_length=200)


STATUS_CHOICES = [("", "全部"), *Entrant.Status.choices]
ROUTE_CHOICES = [("", "全部"), *Entrant.Route.choices]
