"""Metrics in Prometheus' text format (prometheus-client), read at ``/metrics``
(web/metrics.py, which adds the figures read from the database at each scrape: job queue,
failed jobs, audit lag).

Counted here, in the processes that answer: requests by method, route name (the URL
pattern's name, never the path: a bounded set) and status class; their latency by route
name; giveaway claims by result. ``gonghui serve`` runs several gunicorn workers, each with
its own counters: it starts them in prometheus-client's multiprocess mode (each process
writes its figures to files in ``GONGHUI_METRICS_DIR``, emptied at each start, and a scrape
adds them up), so whichever worker answers the scrape answers for all of them.
"""

from __future__ import annotations

import fcntl
import hmac
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.mmap_dict import MmapedDict

from gonghui.common.net import client_ip, listed

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter("gonghui_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "gonghui_http_request_duration_seconds",
    "Time to answer a request, by route name",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CLAIMS = Counter("gonghui_giveaway_claims", "Giveaway claims answered, by result", ["result"])


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name or match.route or "unnamed") if match else "unmatched"


class RequestMetricsMiddleware:
    """Counts every answer (refusals and errors too) and times it, by route name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(method, route, f"{response.status_code // 100}xx").inc()
        LATENCY.labels(route).observe(time.perf_counter() - start)
        return response


def multiprocess_dir(bind: str) -> Path:
    """The folder one ``gonghui serve`` (its address: two on one host keep apart) keeps its
    processes' figures in, emptied: what a previous run left would be counted again."""
    folder = Path(settings.METRICS_DIR) / "".join(c if c.isalnum() else "_" for c in bind)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    return folder


@contextmanager
def _files(folder: str, mode: int):
    """Scrapes read the folder (shared) while no worker's files are being folded in."""
    with open(os.path.join(folder, ".lock"), "a") as lock:
        fcntl.flock(lock, mode)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def worker_gone(pid: int) -> None:
    """gunicorn's ``child_exit`` (in the master): a finished worker's counts are added to
    the folder's ``*_gone.db`` files and its own files go, so that workers recycled after
    ``max_requests`` do not leave two files each for every scrape to read."""
    folder = os.environ.get(MULTIPROCESS_ENV)
    if not folder:
        return
    with _files(folder, fcntl.LOCK_EX):
        for kind in ("counter", "histogram"):
            dead = Path(folder) / f"{kind}_{pid}.db"
            if not dead.exists():
                continue
            kept = MmapedDict(str(Path(folder) / f"{kind}_gone.db"))
            try:
                for key, value, stamp, _ in MmapedDict.read_all_values_from_file(str(dead)):
                    kept.write_value(key, kept.read_value(key)[0] + value, stamp)
            finally:
                kept.close()
            dead.unlink()


def scrape_allowed(request) -> bool | None:
    """None: /metrics is off (neither GONGHUI_METRICS_TOKEN nor GONGHUI_METRICS_ALLOW);
    else whether this request carries the token and comes from an allowed address (each
    that is set must hold)."""
    token, allow = settings.METRICS_TOKEN, settings.METRICS_ALLOW
    if not token and not allow:
        return None
    if allow and not listed(client_ip(request), allow):
        return False
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(
            given.removeprefix("Bearer ").strip().encode(), token.encode()
        )
    return True


def exposition(*collectors) -> bytes:
    """The figures of every process of this server, then those ``collectors`` read now."""
    now = CollectorRegistry(auto_describe=True)
    for collector in collectors:
        now.register(collector)
    folder = os.environ.get(MULTIPROCESS_ENV)
    if not folder:
        return generate_latest(REGISTRY) + generate_latest(now)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    with _files(folder, fcntl.LOCK_SH):
        served = generate_latest(registry)
    return served + generate_latest(now)
