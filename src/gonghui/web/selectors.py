"""Reads of the web pages' own data."""

from __future__ import annotations

from gonghui.web.models import ListColumns


def hidden_columns(*, actor, list_name: str) -> list[str]:
    """The header texts of the columns ``actor`` hid on the list ``list_name`` (none for an
    anonymous visitor)."""
    if not getattr(actor, "is_authenticated", False) or not list_name:
        return []
    row = ListColumns.objects.filter(user=actor, list_name=list_name).only("hidden").first()
    return list(row.hidden) if row else []
