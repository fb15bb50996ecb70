import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "用生产级 WSGI 服务器（gunicorn，多进程）运行平台；静态文件由 whitenoise 提供"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.SERVE_BIND)
        parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)

    def handle(self, *args, bind, workers, **options):
        if not settings.DEBUG:
            # Hashed, compressed copies for whitenoise (cached forever by browsers).
            call_command("collectstatic", interactive=False, verbosity=0)
        # The access log records the path only (%(U)s): query strings never reach logs.
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "gonghui.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--access-logfile",
            "-",
            "--access-logformat",
            '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "--max-requests",
            "5000",
            "--max-requests-jitter",
            "500",
            # The application is loaded once in the master and forked: a worker restarted
            # after --max-requests serves its first request at once (see wsgi.py).
            "--preload",
        ]
        self.stdout.write(f"gonghui: serving on http://{bind} with {workers} workers")
        sys.stdout.flush()
        os.execv(sys.executable, argv)
