"""Form pieces every app's pages share."""

from django import forms


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
