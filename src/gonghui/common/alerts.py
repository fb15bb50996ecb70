"""Alerts: what an operator must act on (a failed audit verification, jobs a dead worker
left running, a backup that failed). One call, ``alert(code, message, **fields)``: an
ERROR line on the ``gonghui.alerts`` logger (JSON, so a log shipper can page on it) with
the alert's code and fields. Messages never carry personal data (they are masked by shape
like every log line anyway)."""

import logging

log = logging.getLogger("gonghui.alerts")


def alert(code: str, message: str, **fields) -> None:
    """Raise an operator alert ``code`` (dotted, e.g. ``audit.verify_failed``)."""
    log.error("%s: %s", code, message, extra={"alert": code, "fields": fields})
