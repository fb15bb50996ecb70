import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gonghui.common.metrics import MULTIPROCESS_ENV, multiprocess_dir
from gonghui.common.servers import require_shared


def stream_argv(bind: str) -> list[str]:
    """The live board's stream server (docs/live-board.md): uvicorn, one process, only the
    stream paths (web/streams.py: the contests' live boards, the quizzes' lecturer screens)."""
    host, _, port = bind.rpartition(":")
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "gonghui.web.streams:create_app",
        "--host",
        host or "127.0.0.1",
        "--port",
        port,
        "--no-access-log",
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "2",
    ]


def stream_bind_for(bind: str) -> str | None:
    """The stream server's address when none is set: the web port + 1 on the same host (a
    unix socket has no port: then set GONGHUI_BOARD_STREAM_BIND)."""
    host, _, port = bind.rpartition(":")
    if bind.startswith("unix:") or not port.isdigit():
        return None
    return f"{host}:{int(port) + 1}"


def loopback(bind: str) -> bool:
    """Whether ``bind`` (HOST:PORT) listens on this machine only."""
    host = bind.rpartition(":")[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


class Command(BaseCommand):
    help = (
        "用生产级服务器运行平台：网页与接口由 gunicorn（多进程）提供，静态文件由 whitenoise 提供；"
        "直播榜的实时推送（/live/<id>/events）由另一个 ASGI 进程（uvicorn）提供"
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.SERVE_BIND)
        parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)
        parser.add_argument(
            "--stream-bind",
            default=settings.BOARD_STREAM_BIND,
            help="直播推送进程的地址（默认：网页端口 + 1）",
        )
        parser.add_argument(
            "--no-stream",
            action="store_true",
            help="不启动直播推送进程（由 `gonghui livestream` 另行运行时）",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="不在启动时收集静态文件（容器镜像构建时已收集，见 docs/deploy.md）",
        )

    def execute(self, *args, **options):
        require_shared()  # one line, before Django's checks list the same (docs/deploy.md)
        return super().execute(*args, **options)

    def handle(self, *args, bind, workers, stream_bind, no_stream, no_collectstatic, **options):
        if not settings.DEBUG and not no_collectstatic:
            # Hashed, compressed copies for whitenoise (cached forever by browsers).
            call_command("collectstatic", interactive=False, verbosity=0)
        # Everything but the address and the workers: gonghui/gunicorn_conf.py.
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "gonghui.wsgi:application",
            "--config",
            "python:gonghui.gunicorn_conf",
            "--bind",
            bind,
            "--workers",
            str(workers),
        ]
        # The workers' metrics (/metrics) in files they share, emptied at each start; set
        # before gunicorn's master loads the application (prometheus-client reads it then).
        os.environ[MULTIPROCESS_ENV] = str(multiprocess_dir(bind))
        stream_bind = None if no_stream else (stream_bind or stream_bind_for(bind))
        self.stdout.write(f"gonghui: serving on http://{bind} with {workers} workers")
        if stream_bind is None:
            sys.stdout.flush()
            os.execv(sys.executable, web)
        self.stdout.write(f"gonghui: live board streams on http://{stream_bind}")
        sys.stdout.flush()
        self._supervise(web, stream_argv(stream_bind), self._environ(bind, stream_bind))

    def _environ(self, bind: str, stream_bind: str) -> dict:
        """Without a configured stream URL, on a developer's machine (DEBUG, or ``make
        run``: the web bound to loopback with no reverse proxy configured), the pages open
        the stream at the same host on the stream's port, and the stream answers the web's
        own origins. Anywhere else (bound beyond loopback, or behind the proxy of
        GONGHUI_TRUSTED_PROXIES) the setting stays unset, which means the pages' own origin:
        the reverse proxy sends /live/<pk>/events to the stream server
        (docs/live-board.md)."""
        env = dict(os.environ)
        port = stream_bind.rpartition(":")[2]
        local = settings.DEBUG or (loopback(bind) and not settings.TRUSTED_PROXIES)
        if settings.BOARD_STREAM_URL or not local:
            return env
        env["GONGHUI_BOARD_STREAM_URL"] = f":{port}"
        if not settings.BOARD_STREAM_ORIGINS:
            host, _, web_port = bind.rpartition(":")
            hosts = {"127.0.0.1", "localhost"} | ({host} if host not in ("", "0.0.0.0") else set())  # noqa: S104
            env["GONGHUI_BOARD_STREAM_ORIGINS"] = ",".join(
                f"{scheme}://{h}:{web_port}" for h in sorted(hosts) for scheme in ("http", "https")
            )
        return env

    def _supervise(self, web: list[str], stream: list[str], env: dict) -> None:
        """Both servers as children; a signal goes to both. The web server is the one that
        matters: when it ends, the stream server is stopped and this command exits with the
        web's code. A stream server that ends (its port taken, say) is reported and left
        down: the pages then poll board.json."""
        stream_child = subprocess.Popen(stream, env=env)
        web_child = subprocess.Popen(web, env=env)
        children = [stream_child, web_child]

        stopping = []

        def forward(signum, frame):
            stopping.append(signum)
            for child in children:
                if child.poll() is None:
                    child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        reported = False
        while web_child.poll() is None:
            if not reported and not stopping and stream_child.poll() is not None:
                reported = True
                self.stderr.write(
                    f"gonghui: the live board's stream server stopped (code "
                    f"{stream_child.returncode}); pages fall back to polling board.json"
                )
            time.sleep(0.2)
        if stream_child.poll() is None:
            stream_child.terminate()
            try:
                stream_child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stream_child.kill()
        if web_child.returncode:
            raise CommandError(f"服务进程退出，代码 {web_child.returncode}")
