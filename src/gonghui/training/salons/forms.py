"""读书沙龙: the pages' forms. They parse and say in Chinese what is wrong beside each
field; the services check the rest and name the same fields."""

from __future__ import annotations

from django import forms

from gonghui.common.schemas import MAX_ID
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.training.models import Salon
from gonghui.training.salons import selectors

ID_HELP = "每行一个身份证号（可从表格中复制整列粘贴）；有误的行会标出行号，身份证号只显示首末两位"
ID_AGAIN = "为保护个人信息，提交的身份证号名单不再显示：如仍需按身份证号添加，请重新粘贴"


class PastedIds(forms.Textarea):
    """A pasted list of resident ID numbers: never rendered back into the page (a refused
    form shows the field empty, like a password)."""

    def format_value(self, value):
        return None


def _pasted_ids_field(label: str, rows: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=20000,
        widget=PastedIds(attrs={"rows": rows, "spellcheck": "false", "autocomplete": "off"}),
        help_text=ID_HELP,
    )


def _ask_to_paste_again(form: forms.Form) -> None:
    """A bound form is shown again only when refused: say the list must be pasted again."""
    if form.is_bound and str(form.data.get("id_numbers") or "").strip():
        form.fields["id_numbers"].help_text = ID_AGAIN


class PhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once (the service checks each is an image)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", PhotoInput(attrs={"accept": "image/png,image/jpeg", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(PhotosField, self).clean(f, initial) for f in files]


class PeopleField(forms.ModelMultipleChoiceField):
    """People chosen from a list: an id no record can have (not digits, beyond ``MAX_ID``)
    is refused as not in the list before the database is asked (it would refuse to compare
    it)."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            text = str(pk)
            if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


def _messages(form: forms.Form) -> None:
    for field in form.fields.values():
        choose = isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
        field.error_messages["required"] = f"请{'选择' if choose else '填写'}{field.label}"
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = f"{field.label}应为日期（年-月-日）"
        if isinstance(field, forms.IntegerField):
            field.error_messages["invalid"] = f"{field.label}应为整数"
        if choose:
            field.error_messages["invalid_choice"] = f"请从列表中选择{field.label}"
            field.error_messages["invalid_pk_value"] = f"请从列表中选择{field.label}"


class ListFilters(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Salon.Status.choices]
    )
    org_unit = OrgUnitChoiceField(
        label="区/工会", required=False, queryset=None, empty_label="全部"
    )
    q = forms.CharField(label="名称", required=False, max_length=60)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = selectors.filter_units(actor)
        _messages(self)

    def filters(self) -> dict | None:
        if not self.is_bound:
            return {}
        return self.cleaned_data if self.is_valid() else None


class SalonForm(forms.Form):
    org_unit = OrgUnitChoiceField(label="申报工会", queryset=None, empty_label="请选择")
    name = forms.CharField(label="沙龙名称", max_length=120)
    year = forms.IntegerField(label="年度")
    theme = forms.CharField(label="读书主题", max_length=200, required=False)
    mentor = forms.IntegerField(
        label="读书导师",
        min_value=1,
        max_value=MAX_ID,
        error_messages={
            "min_value": "请从列表中选择读书导师",
            "max_value": "请从列表中选择读书导师",
        },
        widget=forms.Select(choices=[("", "请选择")]),
        help_text="在上方输入姓名或拼音查找，再从列表中选择",
    )
    members = PeopleField(
        label="成员",
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12, "data-filter": "member-filter"}),
        help_text="按住 Ctrl（Mac 为 ⌘）可多选；不少于25人（可与下方身份证号名单合并计算）",
    )
    id_numbers = _pasted_ids_field("按身份证号添加成员", 4)
    requested = forms.CharField(
        label="申请资助金额（元）", max_length=24, required=False, help_text="如 5000 或 5,000.00"
    )

    def __init__(self, *args, actor, unit=None, mentor=None, salon=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = selectors.apply_units(actor)
        self.fields["org_unit"].queryset = units
        if salon is not None:
            del self.fields["org_unit"]
            unit = salon.org_unit
        self.fields["members"].queryset = (
            selectors.unit_members(unit) if unit is not None else Salon.objects.none()
        )
        if mentor is not None:
            self.fields["mentor"].widget.choices = [
                ("", "请选择"),
                (mentor.pk, f"{mentor.name}（{mentor.org_unit.name}）"),
            ]
        _messages(self)
        _ask_to_paste_again(self)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="审批决定",
        choices=[("", "请选择"), ("approve", "批准"), ("reject", "不批准")],
    )
    granted = forms.CharField(
        label="批准资助金额（元）",
        max_length=24,
        required=False,
        help_text="留空为按申请金额批准；可低于申请金额",
    )
    note = forms.CharField(
        label="审批意见",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="不批准时必填（申报工会可见）",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _messages(self)


class MembersAddForm(forms.Form):
    members = PeopleField(
        label="选择成员",
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8, "data-filter": "add-filter"}),
    )
    id_numbers = _pasted_ids_field("按身份证号添加", 3)

    def __init__(self, *args, salon, **kwargs):
        super().__init__(*args, **kwargs)
        present = selectors.members_of(salon).values("pk")
        self.fields["members"].queryset = selectors.unit_members(salon.org_unit).exclude(
            pk__in=present
        )
        _messages(self)


class MeetingForm(forms.Form):
    held_on = forms.DateField(
        label="活动日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    book = forms.CharField(label="共读书目", max_length=200, help_text="如：《平凡的世界》")
    summary = forms.CharField(
        label="活动内容", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    attendance = forms.IntegerField(label="参加人数")
    photos = PhotosField(label="活动照片", required=False, help_text="JPG 或 PNG，可多选")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _messages(self)
