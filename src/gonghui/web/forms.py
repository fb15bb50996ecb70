"""Page forms: they parse and show errors next to fields; services do the writing."""

import math

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from gonghui.audit import actions
from gonghui.audit.selectors import FIRST_DAY, LAST_DAY
from gonghui.common import lockout
from gonghui.common.errors import ValidationFailed
from gonghui.common.forms import FilterForm
from gonghui.common.net import client_ip
from gonghui.common.passwords import rules_text
from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.common.widgets import NoEchoInput
from gonghui.orgs.demo import demo_password_follows_rehash
from gonghui.orgs.fields import OrgUnitChoiceField, OrgUnitPicker
from gonghui.orgs.models import OrgUnit
from gonghui.orgs.selectors import org_unit_list, password_hash_of
from gonghui.orgs.services import tokens_follow_rehash
from gonghui.people.models import PUBLIC_FIELDS, Person, Unit
from gonghui.people.selectors import employer_choices, trade_list
from gonghui.people.services import EDITABLE, clean_person


class LoginForm(AuthenticationForm):
    """Django's login, plus a temporary lock-out after too many failures for the account
    from this client, or for the account from clients that have not signed in to it
    before (common/lockout.py). The admin site signs in with this form too."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码错误。",
        "locked": "登录失败次数过多，请 %(minutes)d 分钟后再试。",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # nothing to check: the field says what is missing
        ip = client_ip(self.request) if self.request else None
        known = lockout.known_device(self.request, username)
        # Counted before the password is checked: parallel tries cannot outrun the count.
        attempt = lockout.attempt(username, ip, known=known)
        if attempt.wait:
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": math.ceil(attempt.wait / 60)},
            )
        stored = password_hash_of(username)
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if exc.code == "invalid_login":
                lockout.failed(attempt)
            raise
        lockout.succeeded(attempt)
        if self.request is not None:
            lockout.remember_device(self.request, username)
        if stored is not None and self.user_cache is not None:
            tokens_follow_rehash(user=self.user_cache, old_hash=stored)
            demo_password_follows_rehash(user=self.user_cache, old_hash=stored)
        return cleaned


class PasswordForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput)
    new_password = forms.CharField(label="新密码", widget=forms.PasswordInput)
    confirm = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = rules_text()  # the configured policy

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") != cleaned.get("confirm"):
            self.add_error("confirm", "两次输入的新密码不一致")
        return cleaned


class TokenForm(forms.Form):
    name = forms.CharField(
        label="用途", max_length=60, help_text="如“区工会数据对接”：令牌只在创建时显示一次"
    )


class OrgFilterForm(FilterForm):
    q = forms.CharField(label="名称或编码", required=False, max_length=60)
    level = forms.ChoiceField(
        label="级别", required=False, choices=[("", "全部级别"), *OrgUnit.Level.choices]
    )
    root = forms.IntegerField(
        label="上级组织",
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": "上级组织应为组织ID", "min_value": "上级组织应为组织ID"},
    )


class OrgUnitForm(forms.Form):
    code = forms.CharField(label="组织编码", max_length=32)
    name = forms.CharField(label="名称", max_length=120)
    level = forms.ChoiceField(label="级别", choices=OrgUnit.Level.choices)


class OrgEditForm(forms.Form):
    name = forms.CharField(label="名称", max_length=120)
    is_active = forms.BooleanField(label="启用", required=False)


class OrgMoveForm(forms.Form):
    parent = OrgUnitChoiceField(
        label="新的上级组织",
        queryset=OrgUnit.objects.none(),
        widget=OrgUnitPicker(search_perm="orgs.change"),
        error_messages={"invalid_choice": "目标组织不存在或不在您的管理范围内"},
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = org_unit_list(actor=actor, perm="orgs.change")


class TreeImportForm(forms.Form):
    file = forms.FileField(label="组织树文件（.xlsx 或 .csv）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("只接受 .xlsx 或 .csv 文件")
        return upload


class AttachmentForm(forms.Form):
    file = forms.FileField(label="上传附件（PDF、图片、Word、Excel）")


class IdLookupForm(forms.Form):
    id_number = forms.CharField(
        label="按身份证号精确查找",
        max_length=40,
        widget=NoEchoInput(attrs={"autocomplete": "off"}),
    )


class TransferDecisionForm(forms.Form):
    note = forms.CharField(label="审批意见", required=False, max_length=200)


class PersonFilterForm(FilterForm):
    q = forms.CharField(label="姓名、拼音、首字母或单位", required=False, max_length=60)


class PersonForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=60)
    name_reading = forms.CharField(
        label="姓名拼音",
        required=False,
        max_length=420,
        help_text="系统读不出或读错姓名时填写，每个字一个音节，用空格分隔（如 ji wen）",
    )
    gender = forms.ChoiceField(
        label="性别", required=False, choices=[("", "（按身份证号）"), *Person.Gender.choices]
    )
    birth_date = forms.DateField(
        label="出生日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id_number = forms.CharField(
        label="身份证号",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="修改时留空表示不变",
    )
    no_id_reason = forms.CharField(label="无身份证号原因", required=False, max_length=200)
    phone = forms.CharField(
        label="联系电话", required=False, max_length=20, help_text="修改时留空表示不变"
    )
    org_unit = OrgUnitChoiceField(label="所属工会", queryset=OrgUnit.objects.none())
    employer = forms.ModelChoiceField(
        label="工作单位", required=False, queryset=Unit.objects.none()
    )
    post_title = forms.CharField(label="职务/岗位", required=False, max_length=60)
    rank = forms.ChoiceField(
        label="岗位类别", required=False, choices=[("", "—"), *Person.Rank.choices]
    )
    is_front_line = forms.BooleanField(label="一线职工", required=False)
    trade = forms.ModelChoiceField(label="工种", required=False, queryset=trade_list())
    skill_level = forms.ChoiceField(
        label="技能等级", required=False, choices=[("", "—"), *Person.SkillLevel.choices]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=Person.Status.choices, initial=Person.Status.IN_POST
    )
    is_public = forms.BooleanField(label="本人同意在公开页面展示", required=False)
    public_fields = forms.MultipleChoiceField(
        label="可公开字段",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(PUBLIC_FIELDS.items()),
    )

    def __init__(self, *args, actor, person=None, **kwargs):
        if person is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": person.name,
                    "name_reading": person.name_reading,
                    "gender": person.gender,
                    "birth_date": person.birth_date,
                    "no_id_reason": person.no_id_reason,
                    "org_unit": person.org_unit_id,
                    "is_public": person.is_public,
                    "public_fields": person.public_fields,
                    "employer": person.employer_id,
                    "post_title": person.post_title,
                    "rank": person.rank,
                    "is_front_line": person.is_front_line,
                    "trade": person.trade_id,
                    "skill_level": person.skill_level,
                    "status": person.status,
                },
            )
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["org_unit"].queryset = org_unit_list(actor=actor, perm="people.change")
        self.fields["employer"].queryset = employer_choices(actor=actor)

    def clean(self):
        cleaned = super().clean()
        if self.person is not None:
            # Protected values are never sent to the browser: blank means "unchanged".
            for field in ("id_number", "phone"):
                if not cleaned.get(field):
                    cleaned.pop(field, None)
        # The domain's own checks (check digit, birth date...), shown next to each field
        # together with the form's, so the user sees every problem at once.
        current = {f: getattr(self.person, f) for f in EDITABLE} if self.person else {}
        try:
            clean_person({**current, **cleaned, "name": cleaned.get("name") or "-"}, stored=current)
        except ValidationFailed as exc:
            for field, message in exc.fields.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, message)
        return cleaned


class AuditFilterForm(FilterForm):
    actor_name = forms.CharField(label="操作人", required=False, max_length=150)
    action = forms.ChoiceField(label="操作", required=False, choices=actions.action_choices)
    object_type = forms.ChoiceField(
        label="对象类型", required=False, choices=actions.object_choices
    )
    object_id = forms.CharField(label="对象ID", required=False, max_length=64)
    since = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        for name in ("since", "until"):
            day = data.get(name)
            if day and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(
                    name, f"{self.fields[name].label}应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间"
                )
        return data
