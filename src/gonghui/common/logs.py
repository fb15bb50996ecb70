"""JSON log lines, each carrying the id of the request (or job) it belongs to; and the
error sink, where every ERROR line (a 500, a failed job, an alert) is also sent.

Messages are the code's own text: no request bodies, no query strings; and whatever an
exception's message, a traceback or an alert's fields carry is masked by shape (a run of 11
or more digits keeps its first and last two) and by name (``phone``, ``id_number`` …), with
the masking of common.reporting.

The request id: ``RequestIdMiddleware`` (the outermost middleware) takes ``X-Request-ID``
from a trusted proxy (``GONGHUI_TRUSTED_PROXIES``, common/net.py) when it is well formed,
else makes one, keeps it in a context variable for the request's log lines and answers it
in the ``X-Request-ID`` header, which gunicorn's access log reads (gunicorn_conf.py). A job
started from a request keeps it (``Job.request_id``) and the worker runs the job inside
``request_context`` (jobs/services.py), so the job's lines carry the request's id.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import queue
import re
import socket
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

from gonghui.common.net import from_trusted_proxy
from gonghui.common.reporting import MaskingReporterFilter, mask_text

HEADER = "X-Request-ID"
_current = contextvars.ContextVar("request_id", default=None)
# What a proxy may hand over: nginx's $request_id (32 hex), a UUID, a balancer's trace id.
WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
_masking = MaskingReporterFilter()


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def request_context(request_id: str | None):
    """Log lines written inside carry ``request_id`` (a job run for a request, say)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


def _stamped(factory):
    """Every log record is stamped with the request id current where it was made (not where
    a handler happens to format it: a queue, a test's capture)."""

    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.request_id = _current.get()
        return record

    make.stamps_request_id = True
    return make


if not getattr(logging.getLogRecordFactory(), "stamps_request_id", False):
    logging.setLogRecordFactory(_stamped(logging.getLogRecordFactory()))


class RequestIdMiddleware:
    """The request's id: the trusted proxy's ``X-Request-ID`` when well formed, else a new
    one; a client that reaches the servers directly cannot choose it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        trusted = given and WELL_FORMED.match(given) and from_trusted_proxy(request.META)
        request.request_id = given if trusted else new_request_id()
        with request_context(request.request_id):
            response = self.get_response(request)
        response[HEADER] = request.request_id
        return response


def masked(value):
    """``value`` (an alert's fields, say) with protected values masked by name and shape."""
    return _masking.clean("", value)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request_id, message; an alert's code
    and fields; a failed request's method, path and status (never its query or body); the
    masked traceback."""

    def __init__(self, *args, host: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = socket.gethostname() if host else None

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": mask_text(record.getMessage()),
        }
        if self.host:
            entry["host"] = self.host
        if getattr(record, "alert", None):
            entry["alert"] = record.alert
        if getattr(record, "fields", None):
            entry["fields"] = masked(record.fields)
        request = getattr(record, "request", None)  # django.request's 4xx/5xx lines
        if request is not None and hasattr(request, "path"):
            entry["method"], entry["path"] = request.method, mask_text(request.path)
        if getattr(record, "status_code", None):
            entry["status"] = record.status_code
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


sink_log = logging.getLogger("gonghui.errorsink")


class ErrorSink(logging.Handler):
    """GONGHUI_ERROR_SINK: every ERROR line (masked, as JsonFormatter writes it, with the
    host) POSTed as JSON to an ``http(s)://`` webhook or appended to a ``file://`` JSON lines
    file. Sent from a background thread through a bounded queue, with a short timeout: an
    unreachable sink never holds up a request; what it could not take is logged (at most
    once a minute, as a warning that is not sent there again)."""

    CAPACITY = 1000
    WARN_EVERY = 60.0

    def __init__(self, target: str, timeout: float = 3.0, level=logging.ERROR):
        super().__init__(level)
        self.setFormatter(JsonFormatter(host=True))
        self.target, self.timeout = target, timeout
        self._pid = None
        self._queue: queue.Queue[str] = queue.Queue(self.CAPACITY)
        self._failed, self._warned_at = 0, 0.0
        self._start = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == sink_log.name:
            return
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._running()
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self._failed += 1

    def _running(self) -> None:
        # gunicorn forks its workers from a master that configured logging: a thread started
        # there is not in the worker, so each process starts its own at its first report.
        if self._pid == os.getpid():
            return
        with self._start:
            if self._pid != os.getpid():
                self._queue = queue.Queue(self.CAPACITY)
                threading.Thread(target=self._deliver, name="error-sink", daemon=True).start()
                self._pid = os.getpid()

    def _deliver(self) -> None:
        reports = self._queue
        while True:
            line = reports.get()
            try:
                self.send(line)
            except Exception as exc:
                self._failed += 1
                self._warn(exc)
            finally:
                reports.task_done()

    def send(self, line: str) -> None:
        url = urlsplit(self.target)
        if url.scheme == "file":
            with open(url.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            return
        request = urllib.request.Request(  # noqa: S310 (the scheme is http(s), checked in config)
            self.target,
            data=line.encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310
            pass

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= self.WARN_EVERY:
            self._warned_at = now
            sink_log.warning(
                "error sink %s not reachable (%s): %d reports not delivered so far",
                self._where(),
                type(exc).__name__,
                self._failed,
            )

    def _where(self) -> str:
        """The sink as a log line may name it: a webhook's host (its path may hold a token)."""
        url = urlsplit(self.target)
        return (
            url.path if url.scheme == "file" else f"{url.scheme}://{url.hostname}:{url.port or ''}"
        )

    def flush(self, timeout: float = 2.0) -> None:
        """Wait (at most ``timeout``) until the queued reports are sent: at exit, in tests.
        A process that has not reported yet (a forked worker) has nothing of its own queued:
        the queue it holds is its parent's, which no thread here empties."""
        if self._pid != os.getpid():
            return
        with self._queue.all_tasks_done:
            self._queue.all_tasks_done.wait_for(lambda: not self._queue.unfinished_tasks, timeout)
