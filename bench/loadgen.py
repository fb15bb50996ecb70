"""Loopback HTTP load generation for the benchmarks: the real production server (gunicorn through
``gonghui serve``) driven by wrk and ``bench/loadgen.lua``.

    with Server(workers=2) as server:
        write_requests(path, [("GET", "/healthz", {}, "")] * 2000)
        result = run(server.url, path, connections=16, duration_s=60, cycle=False)

wrk, not a Python client: on a 2-core machine the load generator must leave the CPU to the server.
One wrk thread drives 2,500 requests a second for about a fifth of a core, most of it the kernel's
work for a new TCP connection per request (gunicorn's sync workers close each one); ``run()``
reports it as ``wrk_cpu_s``.
The request file's format is described at the top of ``loadgen.lua``.

``python bench/loadgen.py`` is a self-check: 2,000 ``GET /healthz`` once, then 3 s cycling.
"""

import http.client
import json
import math
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_VAR_DIR = PROJECT_DIR / "var" / "bench"  # as in bench/run.py
LOG_DIR = PROJECT_DIR / "var" / "benchlogs"
LUA_SCRIPT = Path(__file__).resolve().with_suffix(".lua")
INSTALL_WRK = PROJECT_DIR / "scripts" / "install-wrk.sh"

Request = tuple[str, str, Mapping[str, str], str]  # method, path, headers, body


def ensure_wrk() -> str:
    """The path of wrk, installed with scripts/install-wrk.sh if it is not on PATH."""
    if shutil.which("wrk") is None:
        subprocess.run(["bash", str(INSTALL_WRK)], check=True)
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError(f"wrk is not on PATH after {INSTALL_WRK}")
    return path


def write_requests(path: Path, requests: Iterable[Request]) -> int:
    """Write the request file of loadgen.lua: ``METHOD\\tPATH\\tName: value|Name: value\\tBODY``
    per line. Refuses what the format cannot carry. Returns the number of requests."""
    count = 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for method, target, headers, body in requests:
            for name, value in headers.items():
                if ":" in name or "|" in name or "|" in value or not name.strip():
                    raise ValueError(f"header {name!r}: {value!r}: no ':' in a name, no '|'")
            header_field = "|".join(f"{name}: {value}" for name, value in headers.items())
            fields = (method, target, header_field, body)
            if any(c in field for field in fields for c in "\t\r\n") or not method or not target:
                raise ValueError(
                    f"request {count + 1}: a field holds a tab or a newline, or is empty"
                )
            out.write("\t".join(fields) + "\n")
            count += 1
    return count


def free_port() -> int:
    """A port nobody listens on now (the kernel's pick for port 0) whose next port is free
    too: ``gonghui serve`` puts its stream server there."""
    while True:
        with socket.socket() as sock, socket.socket() as after:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            try:
                after.bind(("127.0.0.1", port + 1))
            except (OSError, OverflowError):  # taken, or past the last port
                continue
            return port


class Server:
    """The production server as a subprocess: ``gonghui serve`` (gunicorn, sync workers), in
    production settings (GONGHUI_DEBUG=false), on a free loopback port.

    Its environment is ``os.environ``, then the production defaults below, then ``env``. The
    keys are read from ``GONGHUI_KEYS_DIR``, by default the ones a debug run of bench/run.py
    generated under var/bench/keys: outside debug the settings read keys but never make them.
    gunicorn's stdout and stderr (the access log: one line per request) go to a file under
    var/benchlogs: a pipe nobody reads would block the server once full, and the file costs the
    server what production logging costs it."""

    def __init__(self, *, workers: int = 2, env: Mapping[str, str] | None = None, port: int = 0):
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = self._environment(dict(env or {}))
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"serve-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def _environment(env: dict[str, str]) -> dict[str, str]:
        merged = {**os.environ}
        # Production settings even when the caller runs with GONGHUI_DEBUG=true, as
        # bench/run.py does by default; ``env`` may still say otherwise.
        merged["GONGHUI_DEBUG"] = "false"
        merged.setdefault("GONGHUI_VAR_DIR", str(BENCH_VAR_DIR))
        merged.update(env)
        merged.setdefault("GONGHUI_KEYS_DIR", str(Path(merged["GONGHUI_VAR_DIR"]) / "keys"))
        hosts = [h for h in merged.get("GONGHUI_ALLOWED_HOSTS", "").split(",") if h.strip()]
        if "127.0.0.1" not in hosts:
            merged["GONGHUI_ALLOWED_HOSTS"] = ",".join([*hosts, "127.0.0.1"])
        return merged

    def __enter__(self) -> "Server":
        command = [sys.executable, "-m", "gonghui.cli", "serve"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
        with self.log_path.open("wb") as log:
            # Own session: gunicorn's master and workers form one process group that __exit__
            # can kill if the master does not stop. ``serve`` execs gunicorn in place, so the
            # pid is the master's.
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy(timeout_s=60)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gonghui serve exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass  # not listening yet (collectstatic, imports); 503: migrations pending
            finally:
                connection.close()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.url}/healthz did not answer 200 in {timeout_s:.0f} s:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.2)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(self, *exc_info) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGTERM: gunicorn's graceful stop (workers finish their request, then exit).
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=35)  # gunicorn's graceful_timeout is 30 s
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(
    url_base: str,
    request_file: Path,
    *,
    connections: int,
    duration_s: float,
    cycle: bool,
    threads: int = 1,
    timeout_s: float = 10,
) -> dict:
    """Run wrk with loadgen.lua on ``request_file`` against ``url_base`` and return the figures of
    its ``LOADGEN`` line (see loadgen.lua): requests, total, mode, complete, duration_s, rps,
    latency_ms {p50, p90, p99, max, mean}, errors, non_2xx_3xx, statuses, codes; and wrk_cpu_s,
    the CPU time wrk used.

    ``cycle=False`` sends every request of the file once and ends when all are answered;
    ``duration_s`` is then a cap, and ``complete`` says whether it was reached first. It needs
    ``threads=1``. ``cycle=True`` cycles through the file for ``duration_s``. wrk takes whole
    seconds: both durations are rounded up."""
    if not cycle and threads != 1:
        raise ValueError("once mode (cycle=False) runs with one wrk thread")
    wrk = ensure_wrk()
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, math.ceil(duration_s))}s",
        f"--timeout={max(1, math.ceil(timeout_s))}s",
        "--latency",
        f"--script={LUA_SCRIPT}",
        url_base.rstrip("/") + "/",
    ]
    env = {
        **os.environ,
        "LOADGEN_REQUESTS": str(Path(request_file).resolve()),
        "LOADGEN_CYCLE": "1" if cycle else "0",
        "LOADGEN_THREADS": str(threads),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in done.stdout.splitlines():
        if line.startswith("LOADGEN "):
            result = json.loads(line.removeprefix("LOADGEN "))
            # What the load generator took from the server's CPU (user + system seconds).
            result["wrk_cpu_s"] = round(
                after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3
            )
            return result
    raise RuntimeError(
        f"wrk exited with {done.returncode} and no LOADGEN line:\n{done.stdout}\n{done.stderr}"
    )


def main() -> None:
    """Self-check against the production server: healthz once, then cycling."""
    import argparse

    parser = argparse.ArgumentParser(description="loadgen self-check: GET /healthz through wrk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    env = {}
    if not os.environ.get("GONGHUI_DATABASE_URL"):
        found = sorted(BENCH_VAR_DIR.glob("*.sqlite3"))
        if not found:
            sys.exit(
                "loadgen: no database: set GONGHUI_DATABASE_URL, or run "
                "GONGHUI_DEBUG=true python bench/run.py foundation --scale small first"
            )
        env["GONGHUI_DATABASE_URL"] = f"sqlite:///{found[0]}"
    request_file = LOG_DIR / "healthz.requests"
    write_requests(request_file, [("GET", "/healthz", {}, "")] * args.requests)

    with Server(workers=args.workers, env=env) as server:
        print(f"# {server.url}, {args.workers} workers, log {server.log_path}", file=sys.stderr)
        once = run(
            server.url, request_file, connections=args.connections, duration_s=60, cycle=False
        )
        print("once ", json.dumps(once))
        cycling = run(
            server.url, request_file, connections=args.connections, duration_s=3, cycle=True
        )
        print("cycle", json.dumps(cycling))
    if once["statuses"] != {"200": args.requests} or not once["complete"]:
        sys.exit(f"loadgen: expected {args.requests} answers 200 in once mode")
    print(f"ok: {args.requests} requests answered once, {cycling['rps']:.0f} rps cycling")


if __name__ == "__main__":
    main()
