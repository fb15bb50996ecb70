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
        # Everything but the address and the workers: gonghui/gunicorn_conf.py.
        argv = [
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
        self.stdout.write(f"gonghui: serving on http://{bind} with {workers} workers")
        sys.stdout.flush()
        os.execv(sys.executable, argv)
