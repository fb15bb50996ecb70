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
