"""What the public may see of a competition's results: the one rule every page, fragment,
API operation, export and the entrant's own page applies (a freeze holds a result back
until its reveal; ``tests/contests/test_freeze.py`` enumerates every route)."""

from __future__ import annotations

from django.db.models import QuerySet

from gonghui.contests.models import Result


def public_results() -> QuerySet[Result]:
    """Current results the public may see: revealed, not superseded by a re-scoring."""
    return Result.objects.filter(revealed_at__isnull=False, superseded_by__isnull=True)
