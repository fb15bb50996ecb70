import logging
import threading
import time
from functools import partial

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from gonghui.audit.heads import SIGN_SECONDS
from gonghui.audit.retention import DAILY, archive_due, verify_scheduled
from gonghui.audit.roles import check_database_role
from gonghui.audit.services import checkpoint_all, head_sign
from gonghui.audit.witness import warn_same_host
from gonghui.common import ratelimit
from gonghui.common.servers import require_shared
from gonghui.contests.entry.tasks import CLOSE_SECONDS, registrations_close
from gonghui.dashboards.refresh import refresh_due
from gonghui.files.services import attachments_sweep
from gonghui.jobs.services import jobs_expire, jobs_recover, worker_beat, worker_id
from gonghui.orgs.demo import refuse_demo_passwords
from gonghui.perks.giveaways.services import claims_housekeeping
from gonghui.training.quizzes.services import quizzes_close_due
from gonghui.web.sessions import sessions_purge

log = logging.getLogger("gonghui.worker")
SEAL_SECONDS = 60
HOURLY = 3600
BEAT_SECONDS = 30
WORKER_ID = worker_id()  # this process, as django-tasks records it on the tasks it runs


def _every(stop: threading.Event, seconds: float, job, label: str) -> None:
    """Run ``job`` every ``seconds`` (its own run time included: a head each minute means
    each minute), beside the task worker, until ``stop``."""
    due = time.monotonic() + seconds
    while not stop.wait(max(0.0, due - time.monotonic())):
        due += seconds
        try:
            log.info("%s: %s", label, job())
        except Exception:
            log.exception("%s failed", label)
        finally:
            close_old_connections()
        due = max(due, time.monotonic())  # after a long run, no burst of catch-up runs


def schedules() -> list[tuple]:
    """(seconds, job, label) run beside the task worker."""
    return [
        (SIGN_SECONDS, head_sign, "audit platform head"),
        (settings.AUDIT_CHECKPOINT_SECONDS, checkpoint_all, "audit checkpoints signed"),
        (SEAL_SECONDS, claims_housekeeping, "giveaway claims sealed"),
        (SEAL_SECONDS, quizzes_close_due, "quizzes past their time closed, answers sealed"),
        (CLOSE_SECONDS, registrations_close, "contest registrations closed at their moment"),
        (SEAL_SECONDS, refresh_due, "dashboard figures rebuilt after writes"),
        (HOURLY, jobs_expire, "expired export files deleted"),
        (HOURLY, ratelimit.purge, "expired rate-limit counters deleted"),
        (HOURLY, attachments_sweep, "attachment files no record names deleted"),
        # observe (issue 21): this worker's heartbeat; tasks and jobs of lost workers.
        (BEAT_SECONDS, partial(worker_beat, worker=WORKER_ID), "worker heartbeat"),
        (SEAL_SECONDS, jobs_recover, "lost workers' tasks retried or failed"),
        # --- audit retention (issue #21 point 5): archive daily (never prune), verify ---
        (DAILY, archive_due, "audit events past the retention archived"),
        (settings.AUDIT_VERIFY_SECONDS, verify_scheduled, "audit verified"),
        (HOURLY, sessions_purge, "sessions past their end deleted"),  # sessions
    ]


class Command(BaseCommand):
    help = (
        "后台任务进程（django-tasks 数据库队列），并定时签名平台链头（每分钟，写入见证文件）"
        "与各审计流的检查点、封存普惠活动领取记录、结束超时的现场答题并封存答题记录、业务数据变动后重新生成数据看板的汇总数据、删除过期的导出文件与无记录的附件文件、删除过期的会话"
    )

    def execute(self, *args, **options):
        require_shared()  # one line, before Django's checks list the same (docs/deploy.md)
        return super().execute(*args, **options)

    def handle(self, *args, **options):
        check_database_role()
        warn_same_host()
        refuse_demo_passwords()
        worker_beat(worker=WORKER_ID)  # heard of before it takes a task
        stop = threading.Event()
        for seconds, job, label in schedules():
            threading.Thread(target=_every, args=(stop, seconds, job, label), daemon=True).start()
        try:
            # The schedules run once, in this process.
            call_command("db_worker", reload=False, worker_id=WORKER_ID)
        finally:
            stop.set()
