"""gunicorn's settings and hooks for ``gonghui serve`` (read with ``-c python:gonghui.gunicorn_conf``;
the address and the number of workers come from the command line).

A sync worker is recycled after ``max_requests`` (a bound on slow leaks). What a recycle costs
was measured under load (bench/perks.py, round 2 of the claim rounds: 850 → 468 req/s, p99
36 ms → 1.2 s): the new worker answered 7 ms after its fork, but the old one took ~560 ms to
die, and with the requests spread evenly every worker reached its limit in the same second,
so for half a second no worker took a connection. The time went into the interpreter's
teardown walking and freeing a heap the worker shares with the master, page by page copied
on write. Three settings make a recycle cost ~10 ms and spread them out:

- ``gc.freeze()`` before each fork moves the preloaded application into the collector's
  permanent generation: a worker's collections (and its teardown) no longer touch those
  objects and copy their pages (the recipe of the ``gc.freeze`` documentation);
- ``worker_exit`` closes the database connections, flushes the logs and leaves with
  ``os._exit`` and the exit code gunicorn was leaving with (its master reads 3 and 4 as "could
  not boot"): nothing is left for the teardown to do that the kernel does not do better;
- the jitter is half the limit, so workers that share the load evenly do not restart
  together.
"""

import gc
import logging
import os
import sys

from django.db import connections
from gunicorn.glogging import Logger

from gonghui.common.logs import HEADER, ErrorSink, JsonFormatter, request_context
from gonghui.common.metrics import worker_gone

preload_app = True  # the application loads once in the master (see wsgi.py)
worker_class = "sync"
max_requests = 5000
max_requests_jitter = 2500
accesslog = "-"
logger_class = "gonghui.gunicorn_conf.JsonLogger"
# gunicorn 27 opens a management socket under $XDG_RUNTIME_DIR or ~/.gunicorn by default:
# nothing here uses it, it is one more way in to account for, and two servers on one host
# would share its path.
control_socket_disable = True


class JsonLogger(Logger):
    """gunicorn's own lines and its access log as JSON (common.logs.JsonFormatter), like the
    application's. An access line: method, the path only (query strings never reach the
    logs; masked like every line), status, bytes, milliseconds, the connection's peer and
    the client behind the trusted proxies, and the request id the application answered in
    ``X-Request-ID`` (so the access line and the request's own lines share it)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def exception(self, msg, *args, **kwargs):
        # gunicorn's "Error handling request METHOD URI": the URI without its query string,
        # as on an access line (a failed request's query must not reach the error sink).
        if msg.startswith("Error handling request"):
            args = tuple(a.split("?", 1)[0] if isinstance(a, str) else a for a in args)
        super().exception(msg, *args, **kwargs)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        answered = {name.lower(): value for name, value in resp.headers}
        fields = {
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 1),
            "peer": environ.get("REMOTE_ADDR") or "unix",
            "client": _client(environ),
        }
        try:
            with request_context(answered.get(HEADER.lower())):
                self.access_log.info(
                    "%s %s %s", fields["method"], fields["path"], status, extra={"fields": fields}
                )
        except Exception:
            self.exception("access log line not written")


def _client(environ) -> str | None:
    from gonghui.common.net import client_address  # reads settings: loaded by then

    try:
        return client_address(environ)
    except Exception:  # the access line is written in any case
        return None


def when_ready(server):
    # gunicorn's own errors (a worker timed out, killed for memory) go to the error sink
    # too: its logger does not pass them to the root logger the application configured.
    for handler in _sinks():
        if handler not in server.log.error_log.handlers:
            server.log.error_log.addHandler(handler)


def _sinks() -> list[ErrorSink]:
    """The error sinks the application's logging configured (GONGHUI_ERROR_SINK)."""
    return [h for h in logging.getLogger().handlers if isinstance(h, ErrorSink)]


def pre_fork(server, worker):
    # The start-up checks (database role, demo passwords) query the database in the master:
    # its connection, or a psycopg pool (GONGHUI_DB_POOL) with its sockets and threads, must
    # not be inherited by a worker, which opens its own.
    for conn in connections.all(initialized_only=True):
        conn.close()
        if getattr(conn, "pool", None):
            conn.close_pool()
    gc.freeze()


def child_exit(server, worker):
    worker_gone(worker.pid)


def worker_exit(server, worker):
    # gunicorn calls this hook in the worker, from the ``finally`` around its life, and in the
    # master for a worker that vanished: only the first, leaving by ``sys.exit``, is cut short.
    leaving = sys.exc_info()[1]
    if os.getpid() != worker.pid or not isinstance(leaving, SystemExit):
        return
    code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
    connections.close_all()
    for handler in _sinks():  # reports still queued for the error sink
        handler.flush()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
