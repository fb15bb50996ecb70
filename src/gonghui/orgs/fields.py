"""The one organisation chooser every form uses: a choice of ``OrgUnit`` labelled with its
full path ("北京市总工会 / 朝阳区总工会 / 某街道总工会 / 某公司工会"), so that two unions of
one name are never confused, in a select with a type-to-filter box. Each form keeps its own
queryset (its scope); the labels of all its choices are read in one query."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from gonghui.common.schemas import MAX_ID
from gonghui.orgs.models import OrgUnit
from gonghui.orgs.selectors import labelled_units, org_label

PICKER_LIMIT = 300  # more choices than this: a server search instead of every option


class OrgUnitPicker(forms.Select):
    """A select with a filter box above it: typing part of a name, a code or an upper
    union's name leaves only the matching units (static web/orgs.js). Over
    ``PICKER_LIMIT`` choices (a city post at 50,000 units), the page carries only the chosen
    unit and the box searches the server (the tree panel's search, in the scope of
    ``search_perm``); the form's own queryset still decides what is accepted."""

    template_name = "orgs/widgets/org_picker.html"

    def __init__(self, attrs=None, choices=(), *, search_perm: str = "orgs.view"):
        super().__init__(attrs, choices)
        self.search_perm = search_perm

    def _remote(self) -> bool:
        queryset = getattr(self.choices, "queryset", None)
        # .all(): a queryset the form already read would slice into a list
        return queryset is not None and queryset.all()[PICKER_LIMIT : PICKER_LIMIT + 1].exists()

    def get_context(self, name, value, attrs):
        self.remote = self._remote()
        context = super().get_context(name, value, attrs)
        context["widget"]["remote"] = self.remote
        context["widget"]["search_perm"] = self.search_perm
        return context

    def optgroups(self, name, value, attrs=None):
        if not getattr(self, "remote", False):
            return super().optgroups(name, value, attrs)
        chosen = [v for v in value if v not in ("", None)]
        field = self.choices.field
        units = self.choices.queryset.filter(pk__in=[int(v) for v in chosen if _an_id(v)])
        options = [("", field.empty_label or "")] if field.empty_label is not None else []
        options += [
            (ModelChoiceIteratorValue(unit.pk, unit), label)
            for unit, label in labelled_units(units)
        ]
        groups = []
        for index, (option_value, label) in enumerate(options):
            selected = str(getattr(option_value, "value", option_value)) in map(str, chosen)
            option = self.create_option(name, option_value, label, selected, index, attrs=attrs)
            groups.append((None, [option], index))
        return groups

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if isinstance(instance, OrgUnit):
            option["attrs"]["data-code"] = instance.code
        return option


class _PathLabels(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset = self.queryset
        if not queryset._prefetch_related_lookups:
            queryset = queryset.iterator()
        for unit, label in labelled_units(queryset):
            yield ModelChoiceIteratorValue(self.field.prepare_value(unit), unit), label


class OrgUnitChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` of units shown by their full path, in an ``OrgUnitPicker``."""

    iterator = _PathLabels
    widget = OrgUnitPicker

    def __init__(self, *args, empty_label="请选择", **kwargs):
        super().__init__(*args, empty_label=empty_label, **kwargs)

    def label_from_instance(self, obj) -> str:
        return org_label(obj)  # one unit's (the iterator labels all choices in one query)


def unit_choices(units: Iterable[OrgUnit]) -> list[tuple[int, str]]:
    """(id, full path) for a plain choice field of units, labelled in one query."""
    return [(unit.pk, label) for unit, label in labelled_units(units)]


def _an_id(value) -> bool:
    """Whether a submitted value can name a row: ASCII digits within a 64-bit integer (``²``
    is a digit to ``str.isdigit`` and no number to ``int``)."""
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID
