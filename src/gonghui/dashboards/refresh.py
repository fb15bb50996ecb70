"""Rebuilding the dashboards' facts from the programmes' tables (derived figures, not
records: no audit event; the events of the writes they are built from are the record).

``refresh`` rebuilds metrics whole, one transaction each: the figures of every unit are
read by one GROUP BY per figure, rolled up in memory to every ancestor (the tree is read
once), and replace the metric's facts. ``refresh_due`` is the worker's minute: it rebuilds
the metrics whose sources wrote an audit event since their last build (every write service
records one in its transaction, so nothing written is missed, whoever wrote it: a page,
the API, an import, a command); ``gonghui dashboards_refresh`` rebuilds on demand."""

from __future__ import annotations

import time
from collections import defaultdict

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common import bulk
from gonghui.dashboards.metrics import METRICS
from gonghui.dashboards.models import Fact, MetricState
from gonghui.orgs.models import OrgUnit, path_prefixes


def _tree() -> tuple[dict[int, list[int]], dict[int, int | None]]:
    """Each unit's ancestors from the root down (itself last), and each unit's parent."""
    rows = list(OrgUnit.objects.values_list("pk", "path", "parent_id"))
    by_path = {path: pk for pk, path, _ in rows}
    chain = {pk: [by_path[p] for p in path_prefixes(path) if p in by_path] for pk, path, _ in rows}
    return chain, {pk: parent for pk, _, parent in rows}


def _last_event() -> int:
    return AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0


def refresh(codes=None, *, through_event: int | None = None) -> dict[str, int]:
    """Rebuild the named metrics (all by default); the fact rows each now has."""
    codes = list(codes or METRICS)
    through = _last_event() if through_event is None else through_event
    chain, parent = _tree()
    written = {}
    for code in codes:
        started = time.monotonic()
        totals: dict[tuple[int, int, str], int] = defaultdict(int)
        for unit_id, year, key, value in METRICS[code].build():
            for node in chain.get(unit_id, ()):
                totals[node, year, key] += value
        facts = [
            Fact(metric=code, node_id=n, parent_id=parent[n], year=y, key=k[:120], value=v)
            for (n, y, k), v in totals.items()
            if v
        ]
        with transaction.atomic():
            Fact.objects.filter(metric=code).delete()
            bulk.insert(facts)  # the platform's bulk insert (COPY on PostgreSQL)
            MetricState.objects.update_or_create(
                metric=code,
                defaults={
                    "refreshed_at": timezone.now(),
                    "through_event": through,
                    "rows": len(totals),
                    "seconds": round(time.monotonic() - started, 3),
                },
            )
        written[code] = len(totals)
    return written


def due() -> tuple[list[str], int]:
    """The metrics whose sources recorded an event since their last build (and those never
    built), and the last event now."""
    last = _last_event()
    states = dict(MetricState.objects.values_list("metric", "through_event"))
    never = [code for code in METRICS if code not in states]
    built = [code for code in METRICS if code in states]
    if not built:
        return never, last
    since = min(states[code] for code in built)
    latest = dict(  # each action seen since, with its last event
        AuditEvent.objects.filter(id__gt=since, id__lte=last)
        .values_list("action")
        .annotate(Max("id"))
        .order_by()
    )
    stale = [
        code
        for code in built
        if any(
            seq > states[code] and action.startswith(METRICS[code].sources)
            for action, seq in latest.items()
        )
    ]
    return never + stale, last


def refresh_due() -> str:
    """The worker's minute: rebuild what is due (see ``due``)."""
    codes, last = due()
    if not codes:
        return "nothing due"
    written = refresh(codes, through_event=last)
    return ", ".join(f"{code}: {n}" for code, n in written.items())
