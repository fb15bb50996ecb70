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
import os
import sys

from django.db import connections

preload_app = True  # the application loads once in the master (see wsgi.py)
worker_class = "sync"
max_requests = 5000
max_requests_jitter = 2500
accesslog = "-"
# The path only (%(U)s): query strings never reach the logs.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
# gunicorn 27 opens a management socket under $XDG_RUNTIME_DIR or ~/.gunicorn by default:
# nothing here uses it, it is one more way in to account for, and two servers on one host
# would share its path.
control_socket_disable = True


def pre_fork(server, worker):
    # A psycopg pool the master opened (GONGHUI_DB_POOL: the start-up checks query the
    # database) holds sockets and threads a worker must not inherit: each worker opens its own.
    for conn in connections.all(initialized_only=True):
        if getattr(conn, "pool", None):
            conn.close_pool()
    gc.freeze()


def worker_exit(server, worker):
    # gunicorn calls this hook in the worker, from the ``finally`` around its life, and in the
    # master for a worker that vanished: only the first, leaving by ``sys.exit``, is cut short.
    leaving = sys.exc_info()[1]
    if os.getpid() != worker.pid or not isinstance(leaving, SystemExit):
        return
    code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
    connections.close_all()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
