"""Forms of the bank and quiz pages: parse and show errors next to fields, in Chinese; the
services do the writing (and name what they refuse next to the same fields)."""

from __future__ import annotations

from django import forms

from gonghui.orgs import access
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.training.models import Question
from gonghui.training.quizzes import selectors

EMPTY = [("", "请选择")]
LETTERS = "ABCDEFGH"


class QuestionForm(forms.Form):
    org_unit = OrgUnitChoiceField(label="所属工会", queryset=None, empty_label="请选择")
    kind = forms.ChoiceField(label="题型", choices=EMPTY + Question.Kind.choices)
    text = forms.CharField(label="题干", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    options = forms.CharField(
        label="选项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个选项，依次为 A、B、C……；判断题无需填写（固定为 正确 / 错误）",
    )
    answer = forms.CharField(
        label="正确答案",
        max_length=20,
        help_text="填写选项字母：单选如 B，多选如 A,C；判断题 A 为正确、B 为错误",
    )
    explanation = forms.CharField(
        label="解析", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    topic = forms.CharField(label="知识点", required=False, max_length=60)

    def __init__(self, *args, actor, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = access.visible_units(actor, "training.manage")
        if editing:
            del self.fields["org_unit"]
            self.fields["active"] = forms.BooleanField(label="启用", required=False)

    def clean_options(self):
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]

    def clean_answer(self):
        letters = [c for c in self.cleaned_data["answer"].upper() if c not in " ,，、;；"]
        if not letters or any(c not in LETTERS for c in letters):
            raise forms.ValidationError("请填写选项字母 A–H，多个用逗号分隔")
        return [LETTERS.index(c) for c in letters]


def answer_letters(answer: list[int]) -> str:
    return ",".join(LETTERS[i] for i in answer)


class QuizForm(forms.Form):
    session = forms.ModelChoiceField(label="课程场次", queryset=None, empty_label="请选择")
    title = forms.CharField(label="名称", max_length=120)
    time_limit = forms.IntegerField(
        label="答题时限（秒）", min_value=10, max_value=3 * 60 * 60, initial=300
    )
    points = forms.IntegerField(label="每题分值", min_value=1, max_value=100, initial=10)
    attendees_only = forms.BooleanField(label="仅限签到学员作答", required=False, initial=True)
    questions = forms.ModelMultipleChoiceField(
        label="试题（从题库中选择，按所选顺序组卷）",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一道试题"},
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = selectors.sessions_for(actor)
        self.fields["session"].label_from_instance = lambda s: (
            f"{s.course.name} 第{s.seq}期 {s.title}（{s.starts_at:%Y-%m-%d}）"
        )
        self.fields["questions"].queryset = selectors.bank_for(actor)
        self.fields["questions"].label_from_instance = lambda q: (
            f"[{q.get_kind_display()}] {q.text[:60]}" + (f"（{q.topic}）" if q.topic else "")
        )
