"""`gonghui serve`'s gunicorn settings (gonghui/gunicorn_conf.py). Issue 15, item 27: in the
giveaway benchmark every worker reached --max-requests in the same second and each took
~560 ms to die, so the second claim round fell from 850 to 468 req/s with a 1.2 s p99. A
recycled worker now leaves at once, with the exit code gunicorn meant."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from gonghui import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]


class Left(Exception):
    pass


@pytest.fixture
def exits(monkeypatch):
    codes = []

    def leave(code):
        codes.append(code)
        raise Left

    monkeypatch.setattr(gunicorn_conf.os, "_exit", leave)
    return codes


def leave_worker(code, pid):
    """What gunicorn's spawn_worker does: ``sys.exit`` in the worker, the hook in ``finally``."""
    try:
        sys.exit(code)
    finally:
        gunicorn_conf.worker_exit(None, SimpleNamespace(pid=pid))


def test_a_leaving_worker_closes_its_database_and_keeps_gunicorns_exit_code(exits, monkeypatch):
    closed = []
    monkeypatch.setattr(gunicorn_conf.connections, "close_all", lambda: closed.append(True))
    for code, expected in ((0, 0), (None, 0), (3, 3), (4, 4), ("boom", 1)):
        with pytest.raises(Left):
            leave_worker(code, os.getpid())
        assert exits[-1] == expected
    assert len(closed) == 5  # the database connections closed before each leaving


def test_the_master_and_unusual_exits_leave_the_ordinary_way(exits):
    # The master calls the hook for a worker that vanished (another pid): it must go on.
    with pytest.raises(SystemExit):
        leave_worker(0, os.getpid() + 1)
    gunicorn_conf.worker_exit(None, SimpleNamespace(pid=os.getpid()))  # nothing in flight
    try:
        raise KeyError("not an exit")
    except KeyError:
        gunicorn_conf.worker_exit(None, SimpleNamespace(pid=os.getpid()))
    assert exits == []


def test_recycled_workers_answer_every_request(tmp_path):
    """A real gunicorn with the settings, its worker recycled every two requests: every
    request is answered, every worker leaves with code 0, and no control socket is opened
    (nothing here uses one, and two servers on a host would share its path)."""
    server, port, log = start_gunicorn(
        tmp_path, "--max-requests", "2", "--max-requests-jitter", "0"
    )
    url = f"http://127.0.0.1:{port}/api/v1/perks/ping"
    try:
        _wait_listening(port)
        statuses = [urllib.request.urlopen(url, timeout=10).status for _ in range(7)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert statuses == [200] * 7, text
    assert text.count("Autorestarting worker") >= 3, text
    assert "exited with code" not in text and "Traceback" not in text, text
    assert "Control socket" not in text, text


def start_gunicorn(tmp_path: Path, *args: str, **env_extra: str):
    """A real gunicorn with the platform's settings outside debug, one worker, on a free
    port of the loopback: (process, port, its log file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGHUI_")}
    env |= {
        "GONGHUI_DEBUG": "false",
        "GONGHUI_LOCAL_KEYS": "true",
        "GONGHUI_VAR_DIR": str(tmp_path),
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path),
        **env_extra,
    }
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "gonghui.wsgi:application",
                "--config",
                "python:gonghui.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return server, port, log


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # still starting
