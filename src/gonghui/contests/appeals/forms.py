"""Arbitration forms: parse and say what is wrong next to the field; the services write."""

import re

from django import forms

from gonghui.common.errors import ValidationFailed
from gonghui.contests.appeals.services import RULING_MAX, TEXT_MAX


class AppealForm(forms.Form):
    text = forms.CharField(
        label="申诉内容",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="请写明对哪一项成绩、哪位裁判的评分有异议及理由；相同内容的申诉合并处理",
    )


class RulingForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label="仲裁结论",
        choices=[("yes", "申诉成立"), ("no", "申诉不成立")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    ruling = forms.CharField(
        label="裁决理由",
        max_length=RULING_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="仲裁结论为终局，作出后不能更改",
    )
    rescore = forms.BooleanField(
        label="须重评分数",
        required=False,
        initial=True,
        help_text="申诉成立且须更正分数时勾选：晋级确认须待重评生效；不勾选则裁决后结案",
    )

    def clean(self):
        data = super().clean()
        if "upheld" in data:
            data["rescore"] = bool(data["upheld"] and data.get("rescore"))
        return data


LINE = re.compile(r"^changes\.(\d+)(?:\.(\w+))?$")


class RescoreForm(forms.Form):
    """One field per current mark of the appellant: a new value where the ruling corrects
    it, blank where it stands."""

    def __init__(self, *args, marks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.marks = list(marks)
        for line in self.marks:
            m = line.mark
            self.fields[f"mark_{m.pk}"] = forms.CharField(
                label=f"{line.judge_name} · {m.aspect}（原 {m.value}）",
                max_length=12,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
        self._order: list[str] = []

    def clean(self):
        data = super().clean()
        if self.marks and not any(
            (data.get(f"mark_{line.mark.pk}") or "").strip() for line in self.marks
        ):
            raise forms.ValidationError("请至少填写一个更正后的分数")
        return data

    def changes(self) -> list[dict]:
        out = []
        self._order = []
        for line in self.marks:
            name = f"mark_{line.mark.pk}"
            value = (self.cleaned_data.get(name) or "").strip()
            if value:
                m = line.mark
                out.append(
                    {
                        "judge": m.judge_id,
                        "entrant": m.entrant_id,
                        "aspect": m.aspect,
                        "value": value,
                    }
                )
                self._order.append(name)
        return out

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """The service names a change by its line (``changes.2.value``): next to its field."""
        for key, message in exc.fields.items():
            found = LINE.match(key)
            if found and int(found.group(1)) <= len(self._order):
                self.add_error(self._order[int(found.group(1)) - 1], message)
            else:
                self.add_error(None, message)
