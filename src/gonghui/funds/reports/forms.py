"""The report pages' filters: the year (a year the programme has figures in), checked
beside the field."""

from __future__ import annotations

from django import forms


class ReportForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)
    with_data = forms.BooleanField(label="只看有数据的单位", required=False)

    def __init__(self, data=None, *, years: list[int]):
        super().__init__(data)
        self.fields["year"].choices = [(y, f"{y}年") for y in years]
        self.fields["year"].error_messages["invalid_choice"] = "年度：该项目在所选年度没有数据"
        self.default = years[0] if years else None

    def chosen_year(self, fallback: int) -> int:
        """The asked year when valid, else ``fallback`` (the form then says why)."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return fallback

    def only_with_data(self) -> bool:
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("with_data"))
