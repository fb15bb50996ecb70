"""Timing and reporting shared by the benchmark areas."""

import statistics
import sys
import threading
import time
from collections.abc import Callable

from django.db import connection


def note(message: str) -> None:
    """Context for the reader on stderr; stdout holds only the figure lines."""
    print(f"  {message}", file=sys.stderr, flush=True)


def page_cache() -> str:
    """How much the operating system caches of files now (Linux), for figures that read a
    database larger than the cache holds: this machine's kernel reclaims pages left unread
    for minutes, so a cold file makes random row reads disk reads."""
    try:
        with open("/proc/meminfo") as info:
            fields = dict(line.split(":", 1) for line in info)
    except OSError:
        return "unknown"
    return f"{int(fields['Cached'].split()[0]) / 1e6:.1f} GB"


def figure(
    name: str,
    value: float,
    unit: str,
    ratio_name: str,
    ratio: float,
    target: float,
    *,
    at_least: bool = False,
) -> str:
    """One figure line: ``name value unit ratio_name ratio target<=T ok|SHORT`` (``>=`` for a
    ratio that must reach its target, such as a throughput against a baseline's)."""
    reached = ratio >= target if at_least else ratio <= target
    sign = ">=" if at_least else "<="
    verdict = "ok" if reached else "SHORT"
    return (
        f"{name} {num(value)} {unit} {ratio_name} {num(ratio)} target{sign}{num(target)} {verdict}"
    )


def comparison(name: str, value: float, unit: str, ratio_name: str, ratio: float) -> str:
    """A line shaped like a figure's, printed beside the figures for comparison: it has no
    target, so it ends in ``comparison`` instead of a target and a verdict."""
    return f"{name} {num(value)} {unit} {ratio_name} {num(ratio)} comparison"


def num(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:.0f}"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def interleaved(
    sides: dict[str, Callable[[], object]],
    reps: int,
    *,
    warmup: int = 0,
    reset: Callable[[], object] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each side, the sides taking turns (A, B, A, B ...) so that both
    see the same machine and the same data. ``reset`` runs, untimed, after every call."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for rep in range(warmup + reps):
        for name, call in sides.items():
            start = time.perf_counter()
            call()
            elapsed = time.perf_counter() - start
            if reset is not None:
                reset()
            if rep >= warmup:
                times[name].append(elapsed)
    return times


class Writers:
    """Threads, each with its own database connection, that run rounds of writes together:
    ``round(job)`` calls ``job(writer, n)`` for n < ``writes`` in every thread at once and
    returns when all are done."""

    def __init__(self, count: int, writes: int):
        self.writes = writes
        self.job: Callable[[int, int], object] | None = None
        self.barrier = threading.Barrier(count + 1)
        self.threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(count)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.job = None
        if not self.barrier.broken:
            self.barrier.wait()
        for thread in self.threads:
            thread.join()

    def round(self, job: Callable[[int, int], object]) -> None:
        self.job = job
        self.barrier.wait()  # start
        self.barrier.wait()  # all done

    def _loop(self, writer: int) -> None:
        try:
            connection.ensure_connection()
            while True:
                self.barrier.wait()
                if self.job is None:
                    return
                for n in range(self.writes):
                    self.job(writer, n)
                self.barrier.wait()
        except BaseException:
            self.barrier.abort()
            raise
        finally:
            connection.close()


def make_user(username: str, unit, role: str):
    """A user with one post (``role`` at ``unit``, over its subtree)."""
    from django.contrib.auth import get_user_model

    from gonghui.orgs.models import Post, Role

    user = get_user_model().objects.create_user(username)
    Post.objects.create(user=user, org_unit=unit, role=Role.objects.get(code=role))
    return user
