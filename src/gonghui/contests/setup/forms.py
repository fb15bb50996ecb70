"""Set-up forms: parse and show errors next to fields, in Chinese; services do the writing
(and name what they refuse next to the same fields)."""

from __future__ import annotations

import json

from django import forms

from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.contests.models import Judge, Programme
from gonghui.contests.records import entrant_key
from gonghui.contests.setup import selectors
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.people.selectors import employer_choices, trade_list

MOMENT = forms.DateTimeInput(
    format="%Y-%m-%dT%H:%M",
    attrs={
        "type": "datetime-local",
        "min": f"{FIRST_YEAR}-01-01T00:00",
        "max": f"{LAST_YEAR}-12-31T23:59",
    },
)
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def moment(label: str, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=MOMENT, input_formats=MOMENT_FORMATS, **kwargs)


class ProgrammeForm(forms.Form):
    org_unit = OrgUnitChoiceField(label="主办工会", queryset=None)
    name = forms.CharField(label="名称", max_length=120, help_text="如：第三届北京大工匠选树")
    kind = forms.ChoiceField(
        label="类型",
        choices=Programme.Kind.choices,
        help_text="工匠选树：选拔赛→种子选手→挑战赛→终极挑战赛→综合评审；技能竞赛：实操比拼→综合评审",
    )
    year = forms.IntegerField(label="年度", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    edition = forms.IntegerField(label="届次", min_value=1, max_value=1000, initial=1)
    compare_trades = forms.BooleanField(
        label="称号跨工种比较（各工种成绩先标准化）", required=False
    )
    title_honour = forms.ModelChoiceField(
        label="授予称号", queryset=None, required=False, empty_label="（不授予称号）"
    )
    nominee_honour = forms.ModelChoiceField(
        label="提名奖", queryset=None, required=False, empty_label="（不设提名奖）"
    )
    description = forms.CharField(
        label="说明", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = selectors.organising_units(actor)
        self.fields["title_honour"].queryset = selectors.honour_choices()
        self.fields["nominee_honour"].queryset = selectors.honour_choices()


class CompetitionForm(forms.Form):
    trade = forms.ModelChoiceField(label="工种", queryset=None, help_text="每个工种只设一项竞赛")
    name = forms.CharField(
        label="名称", max_length=120, required=False, help_text="留空则为“项目名称·工种”"
    )
    registration_opens_at = moment("报名开始")
    registration_closes_at = moment("报名截止", help_text="报名截止时竞赛规程同时锁定")
    venue = forms.CharField(label="比赛场地", max_length=200, required=False)
    timetable = forms.CharField(
        label="日程",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一项，如：6月10日 9:00 挑战者选拔赛（实操）",
    )
    titles = forms.IntegerField(label="称号名额", min_value=0, max_value=100, initial=1)
    nominee_awards = forms.IntegerField(label="提名奖名额", min_value=0, max_value=100, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trade"].queryset = trade_list()


class RulesForm(forms.Form):
    file = forms.FileField(
        label="竞赛规程文件", help_text="PDF 或 Word (.docx)；保存后显示其 SHA-256，报名截止时锁定"
    )


JSON_MAX = 20_000  # characters of a scheme or rule typed into the form


def _refuse_constant(name: str):
    raise ValueError(name)


def _has_nul(value) -> bool:
    """Whether a parsed JSON value holds a NUL character in any key or string (walked
    without recursion: the parse may have gone deep)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return False


class JsonField(forms.CharField):
    """A JSON object typed into a textarea; parsed here, judged by the engine in the
    service (its problems come back next to this field). What would break the server or
    the database is refused here: text over ``JSON_MAX``, nesting too deep, a number too
    long to read, NaN and Infinity (not JSON), a NUL character."""

    widget = forms.Textarea(attrs={"rows": 14, "class": "code", "spellcheck": "false"})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return text
        if len(text) > JSON_MAX:
            raise forms.ValidationError(f"内容过长：不能超过 {JSON_MAX} 个字")
        try:
            parsed = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列附近有误"
            ) from None
        except RecursionError:
            raise forms.ValidationError("不是有效的 JSON：嵌套层次过深") from None
        except ValueError as exc:
            if str(exc) in ("NaN", "Infinity", "-Infinity"):
                raise forms.ValidationError(
                    "不是有效的 JSON：不能使用 NaN 或 Infinity，请填写数字"
                ) from None
            raise forms.ValidationError("不是有效的 JSON：数字过长") from None
        if _has_nul(parsed):
            raise forms.ValidationError("不能包含空字符（\\u0000）")
        return parsed

    def prepare_value(self, value):
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value


class StageForm(forms.Form):
    name = forms.CharField(label="赛段名称", max_length=60)
    scheme = JsonField(label="评分规则（JSON）")
    rule = JsonField(label="晋级规则（JSON）", widget=forms.Textarea(attrs={"rows": 3}))
    starts_at = moment("开始时间", required=False)
    votes_open_at = moment("大众评委投票开始", required=False)
    votes_close_at = moment("大众评委投票截止", required=False)
    appeal_minutes = forms.IntegerField(
        label="申诉时限（分钟）", min_value=1, max_value=7 * 24 * 60, initial=120
    )


class JudgeForm(forms.Form):
    kind = forms.ChoiceField(
        label="类别", choices=[c for c in Judge.Kind.choices if c[0] != Judge.Kind.PUBLIC]
    )
    name = forms.CharField(label="姓名", max_length=60)
    employer = forms.ModelChoiceField(
        label="工作单位",
        queryset=None,
        required=False,
        help_text="决定回避：不给本单位参赛人评分，同一裁判组每个单位至多一人",
    )
    trade = forms.ModelChoiceField(label="专业（工种）", queryset=None, required=False)
    user = forms.CharField(
        label="登录账号",
        max_length=150,
        required=False,
        help_text="评委用此账号登录评分（填写已有账号的用户名）",
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employer_choices(actor=actor)
        self.fields["trade"].queryset = trade_list()

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        account = selectors.account_by_username(username)
        if account is None:
            raise forms.ValidationError("没有这个账号（或已停用）")
        return account


class RecusalForm(forms.Form):
    judge = forms.ModelChoiceField(label="评委", queryset=None)
    entrant = forms.ModelChoiceField(label="参赛人（参赛号）", queryset=None)
    note = forms.CharField(
        label="申报的关系", max_length=200, help_text="如：亲属、师徒、曾同一班组共事"
    )

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["judge"].queryset = selectors.judge_choices(competition)
        self.fields["entrant"].queryset = selectors.entrant_choices(competition)
        self.fields["entrant"].label_from_instance = lambda e: (
            f"{entrant_key(e.number)} {e.person.name}"
        )


class JudgeRecusalForm(forms.Form):
    """A judge declares their own relationship with an entrant, on a phone: the entrants
    of their programmes by trade and number (``choices`` from
    ``selectors.judge_recusals``)."""

    entrant = forms.TypedChoiceField(
        label="参赛人（工种·参赛号）",
        coerce=int,
        widget=forms.Select(attrs={"class": "big"}),
        error_messages={"invalid_choice": "请从列表中选择参赛号"},
    )
    note = forms.CharField(
        label="与该参赛人的关系",
        max_length=200,
        help_text="如：亲属、师徒、曾同一班组共事",
        widget=forms.TextInput(attrs={"class": "big"}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entrant"].choices = [("", "请选择")] + [
            (pk, f"{entrant.competition.trade.name} · {entrant_key(entrant.number)}")
            for pk, (_, entrant) in choices.items()
        ]
