import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from gonghui.audit.services import checkpoint_all
from gonghui.jobs.services import jobs_expire
from gonghui.perks.services import claims_housekeeping

log = logging.getLogger("gonghui.worker")
SEAL_SECONDS = 60
EXPIRE_SECONDS = 3600


def _every(stop: threading.Event, seconds: int, job, label: str) -> None:
    """Run ``job`` on a schedule, beside the task worker, until ``stop``."""
    while not stop.wait(seconds):
        try:
            log.info("%s: %s", label, job())
        except Exception:
            log.exception("%s failed", label)
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = (
        "后台任务进程（django-tasks 数据库队列），并定时为审计流签名检查点、"
        "封存普惠活动领取记录、删除过期的导出文件"
    )

    def handle(self, *args, **options):
        stop = threading.Event()
        schedules = [
            (settings.AUDIT_CHECKPOINT_SECONDS, checkpoint_all, "audit checkpoints signed"),
            (SEAL_SECONDS, claims_housekeeping, "giveaway claims sealed"),
            (EXPIRE_SECONDS, jobs_expire, "expired export files deleted"),
        ]
        for seconds, job, label in schedules:
            threading.Thread(target=_every, args=(stop, seconds, job, label), daemon=True).start()
        try:
            call_command("db_worker", reload=False)  # the schedules run once, in this process
        finally:
            stop.set()
