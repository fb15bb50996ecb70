import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from gonghui.audit.services import checkpoint_all

log = logging.getLogger("gonghui.worker")


def _checkpoints(stop: threading.Event, every: int) -> None:
    """Sign every audit stream's head on a schedule, beside the task worker."""
    while not stop.wait(every):
        try:
            count = checkpoint_all()
            log.info("audit checkpoints signed: %d", count)
        except Exception:
            log.exception("audit checkpoint failed")
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "后台任务进程（django-tasks 数据库队列），并定时为审计流签名检查点"

    def handle(self, *args, **options):
        stop = threading.Event()
        thread = threading.Thread(
            target=_checkpoints, args=(stop, settings.AUDIT_CHECKPOINT_SECONDS), daemon=True
        )
        thread.start()
        try:
            call_command("db_worker", reload=False)  # the checkpoint thread runs once
        finally:
            stop.set()
