"""Reads of the audit log for auditors, limited to the events of their scope."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet

from gonghui.audit.models import AuditEvent
from gonghui.common.formats import SHANGHAI
from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.orgs import access

# The days ``since`` and ``until`` may name (the years a record can carry): beyond them the
# day after ``until`` overflows, and SQLite's adapter cannot take year 1 to UTC.
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


def event_list(
    *,
    actor,
    actor_name: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    # Events about a unit in scope; city-level auditors (scope at the root) also see the
    # events that belong to no unit (logins, exports).
    scope = access.scope_q(actor, "audit.view")
    if access.can_citywide(actor, "audit.view"):
        scope |= Q(org_unit__isnull=True)
    qs = AuditEvent.objects.filter(scope)
    if actor_name:
        qs = qs.filter(actor_name=actor_name)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if since:
        qs = qs.filter(created_at__gte=datetime.combine(since, time.min, SHANGHAI))
    if until:
        qs = qs.filter(
            created_at__lt=datetime.combine(until + timedelta(days=1), time.min, SHANGHAI)
        )
    return qs.order_by("-created_at", "-seq")


def recent_of(*, actor, limit: int = 8) -> list[AuditEvent]:
    """The actor's own latest events (what they did, wherever): the workbench's feed. Their
    own acts are theirs to see; one index range (actor, time)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    return list(
        AuditEvent.objects.filter(actor_id=actor.pk)
        .select_related("org_unit")
        .order_by("-created_at", "-seq")[:limit]
    )
