"""Alerts: what an operator must act on (a failed audit verification, jobs a dead worker
left running, a backup that failed). One call, ``alert(code, message, **fields)``: an
ERROR line on the ``gonghui.alerts`` logger, written by common.logs.JsonFormatter with
``"alert": code`` and the ``fields`` (so a log shipper can page on it), carrying the request
id when raised inside a request or a job, and sent to the error sink
(``GONGHUI_ERROR_SINK``) like every ERROR line. Messages and fields never carry personal
data (they are masked by shape and by name like every log line anyway). The codes and what
to do about each: docs/observability.md."""

import logging

log = logging.getLogger("gonghui.alerts")


def alert(code: str, message: str, **fields) -> None:
    """Raise an operator alert ``code`` (dotted, e.g. ``audit.verify_failed``)."""
    log.error("%s: %s", code, message, extra={"alert": code, "fields": fields})
