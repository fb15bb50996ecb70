"""How far the witness lags behind the audit log (for /metrics: web/metrics.py)."""

from datetime import UTC, datetime, timedelta

from django.db.models import F, Min, OuterRef, Q, Subquery

from gonghui.audit.models import AuditEvent, AuditHead, SignedStreamHead

# A transaction that began before the last head and committed after it holds events the head
# could not see: read events from this long before the head's time.
IN_FLIGHT = timedelta(minutes=1)


def audit_lag(now: datetime | None = None) -> tuple[float | None, float | None]:
    """(seconds since the last platform head was signed, age in seconds of the oldest event
    no signed head covers yet); None where there is no head, or no such event."""
    now = now or datetime.now(UTC)
    last = AuditHead.objects.order_by("-n").values_list("time", flat=True).first()
    signed_at = datetime.fromisoformat(last) if last else None
    events = AuditEvent.objects.all()
    if signed_at is not None:
        events = events.filter(created_at__gte=signed_at - IN_FLIGHT)
    signed = SignedStreamHead.objects.filter(stream=OuterRef("stream")).values("seq")[:1]
    oldest = (
        events.annotate(signed=Subquery(signed))
        .filter(Q(signed__isnull=True) | Q(seq__gt=F("signed")))
        .aggregate(first=Min("created_at"))["first"]
    )
    return (
        (now - signed_at).total_seconds() if signed_at else None,
        (now - oldest).total_seconds() if oldest else None,
    )
