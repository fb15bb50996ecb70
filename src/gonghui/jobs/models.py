"""Long jobs started from the web (imports, exports, book generation, payout files).

The work itself runs on django-tasks' database-backed worker (``gonghui worker``); this row
is what the page shows: progress, outcome, the error report, scoped like any record; for an
export, the file it made (stored through the platform's storage, for its starter only, until
it expires)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


def _result_to(instance, filename):
    # A random name: the stored path says nothing of what the file holds.
    return f"jobs/results/{uuid.uuid4().hex}"


class Job(models.Model):
    """One long job's progress and outcome, as the operator sees it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=40)
    title = models.CharField("任务", max_length=200)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField("已完成数", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    message = models.TextField("结果说明", blank=True)
    errors = models.JSONField("错误明细", default=list, blank=True)
    input_file = models.FileField("导入文件", upload_to="jobs/", max_length=200, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)  # what an export was asked for
    result_file = models.FileField("结果文件", upload_to=_result_to, max_length=200, blank=True)
    result_name = models.CharField("文件名", max_length=200, blank=True)
    expires_at = models.DateTimeField("文件保留至", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name="工会组织"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The request that started it (its log lines and the worker's carry the same id), the
    # django-tasks result running it, and how often a lost worker's run was started again.
    request_id = models.CharField("请求编号", max_length=64, blank=True)
    task_id = models.CharField("队列任务编号", max_length=64, blank=True, db_index=True)
    retries = models.PositiveSmallIntegerField("重试次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def downloadable(self) -> bool:
        """A finished export whose file is kept still (for its starter: ``job_result``)."""
        return self.status == self.Status.DONE and bool(self.result_file) and not self.expired

    @property
    def retry_safe(self) -> bool:
        """An export (it reads no uploaded file): run again, it only writes a new file. An
        import stopped halfway may have written part of its rows: never run twice."""
        return not self.input_file

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0


class WorkerBeat(models.Model):
    """A ``gonghui worker`` process as last heard of (every half minute): tells a worker that
    died, leaving its task marked running, from one that is only busy (jobs_recover)."""

    worker_id = models.CharField("进程编号", max_length=64, primary_key=True)  # host:pid:nonce
    seen_at = models.DateTimeField("最近心跳")

    class Meta:
        verbose_name = verbose_name_plural = "后台进程心跳"

    def __str__(self) -> str:
        return self.worker_id
