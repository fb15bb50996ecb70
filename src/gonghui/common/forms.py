"""Form pieces every app's pages share."""

from django import forms

from gonghui.common import workdays


class FilterForm(forms.Form):
    """A list's filters: ``filters()`` gives those asked for, or None when any is invalid
    (the form then shows why, next to the field): a bad filter must never widen a list to
    everything."""

    def filters(self) -> dict | None:
        if not self.is_valid():
            return None
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


def clean_text(value, field: str, label: str, limit: int, errors: dict, *, required=True) -> str:
    """A service's text input, stripped; what is wrong with it goes into ``errors[field]``
    (missing, over ``limit`` characters, a NUL)."""
    value = (value or "").strip()
    if required and not value:
        errors[field] = f"请填写{label}"
    elif len(value) > limit:
        errors[field] = f"{label}不能超过 {limit} 个字"
    elif "\x00" in value:
        errors[field] = f"{label}不能包含空字符"
    return value


def year_param(text) -> int:
    """A year asked for in a page's query (``?year=2025``): four ASCII digits from 2000 to
    2100; anything else is this year."""
    text = (text or "").strip()
    if len(text) == 4 and text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    return workdays.today().year
