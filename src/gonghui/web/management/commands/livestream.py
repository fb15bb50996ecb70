import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from gonghui.web.management.commands.serve import stream_argv, stream_bind_for


class Command(BaseCommand):
    help = "只运行直播榜的实时推送进程（/live/<id>/events，uvicorn；生产环境由反向代理转发）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=settings.BOARD_STREAM_BIND or stream_bind_for(settings.SERVE_BIND),
        )

    def handle(self, *args, bind, **options):
        self.stdout.write(f"gonghui: live board streams on http://{bind}")
        sys.stdout.flush()
        os.execv(sys.executable, stream_argv(bind))
