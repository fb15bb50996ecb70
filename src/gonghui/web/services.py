"""The web pages' own writes: a user's column choice on a list, and the export of a list as
the user sees it (recorded: the rows leave the platform)."""

from __future__ import annotations

import re

from django.db import transaction
from django.urls import get_resolver

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import sheets
from gonghui.common.errors import ValidationFailed
from gonghui.orgs import access
from gonghui.web.models import ListColumns

MAX_HIDDEN = 40  # no list has more columns
MAX_HEADER = 60
LIST_NAME = re.compile(r"^[a-z_]+(:[a-z0-9_]+)+$")
NOT_IN_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name


def _list_name_check(list_name: str) -> None:
    """A list is named by its page's URL name: one the platform has."""
    if not LIST_NAME.match(list_name or ""):
        raise ValidationFailed({"list": "列表名称无效"})
    *namespaces, name = list_name.split(":")
    resolver = get_resolver()
    try:
        for namespace in namespaces:
            resolver = resolver.namespace_dict[namespace][1]
    except KeyError:
        raise ValidationFailed({"list": "没有这个列表"}) from None
    if name not in resolver.reverse_dict:
        raise ValidationFailed({"list": "没有这个列表"})


def list_columns_set(*, actor, list_name: str, hidden: list[str]) -> list[str]:
    """Keep the columns ``actor`` hides on ``list_name`` (header texts; none: show all).
    A display preference of the user's own, so no audit event."""
    _list_name_check(list_name)
    kept = list(dict.fromkeys(h.strip() for h in hidden if h and h.strip()))
    if len(kept) > MAX_HIDDEN or any(len(h) > MAX_HEADER for h in kept):
        raise ValidationFailed({"hidden": "隐藏的列无效"})
    ListColumns.objects.update_or_create(user=actor, list_name=list_name, defaults={"hidden": kept})
    return kept


def list_export(
    *, actor, list_name: str, filters: dict, title: str, headers: list[str], rows: list[list[str]]
) -> bytes:
    """A list as ``actor`` sees it (its page's filtered rows, the columns shown, the values
    as shown: masks stay masked) as an Excel workbook, every cell text. Recorded with the
    list, its filters and the number of rows."""
    book, ws = sheets.write_only_book(NOT_IN_SHEET_TITLE.sub("", title)[:31] or "列表", headers)
    for row in rows:
        sheets.append(ws, row)
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.LIST_EXPORT,
            object_type="web.list",
            object_id=list_name,
            changes={"filters": [None, filters], "rows": [None, len(rows)]},
            # The user's first post (a list has no one permission): whose act it was.
            post_id=next((g.post_id for g in access.grants(actor)), None),
        )
    return sheets.book_bytes(book)
