"""Judging forms: parse and show errors next to fields; services do the writing."""

import re

from django import forms

from gonghui.contests.judging.services import CODE_MAX, NUMBER_MAX, PANEL_MAX, REASON_MAX

NUMBERS = re.compile(r"[\s,，、;；]+")


def _in_range(text: str) -> bool:
    digits = text.lstrip("0")
    return (
        text.isascii()
        and text.isdigit()
        and len(digits) <= 6
        and 1 <= int(digits or "0") <= NUMBER_MAX
    )


class MatchForm(forms.Form):
    code = forms.CharField(label="场次编号", max_length=CODE_MAX, help_text="如 A1、挑战赛-3")
    entrants = forms.CharField(
        label="参赛人（参赛号）",
        help_text="用逗号或空格分隔，如：1, 5, 12",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    seed = forms.IntegerField(
        label="守擂种子选手（参赛号，可选）",
        required=False,
        min_value=1,
        max_value=NUMBER_MAX,
        help_text="挑战赛中被挑战的种子选手，须为本场次的参赛人之一",
    )
    panel_size = forms.IntegerField(label="裁判组人数", min_value=1, max_value=PANEL_MAX, initial=5)

    def clean_entrants(self):
        parts = [p for p in NUMBERS.split(self.cleaned_data["entrants"].strip()) if p]
        if not parts:
            raise forms.ValidationError("请填写参赛号")
        bad = [p for p in parts if not _in_range(p)]
        if bad:
            said = "、".join(p[:10] for p in bad[:5])
            raise forms.ValidationError(f"参赛号应为 1–{NUMBER_MAX} 的整数：{said}")
        return [int(p) for p in parts]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=REASON_MAX)


class SeatAddForm(forms.Form):
    judge = forms.TypedChoiceField(label="裁判", coerce=int, choices=())

    def __init__(self, *args, judges=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["judge"].choices = [
            (
                j.pk,
                f"{j.name}（{j.get_kind_display()}{'，' + j.employer.name if j.employer else ''}）",
            )
            for j in judges
        ]
