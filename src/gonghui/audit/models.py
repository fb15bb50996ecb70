"""The audit log (审计日志): append-only, hash-chained streams with signed checkpoints."""

from django.db import models


class AuditEvent(models.Model):
    """One event of one stream. ``body`` is the canonical JSON that is hashed: it holds the
    whole content; the other columns copy parts of it for filtering, and the verifier checks
    that they agree. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE."""

    stream = models.CharField("流", max_length=64)
    seq = models.BigIntegerField("序号")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    body = models.TextField()
    created_at = models.DateTimeField("时间")
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True)
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    post_id = models.BigIntegerField("岗位ID", null=True, blank=True)
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name="所属组织",
    )
    ip = models.GenericIPAddressField("IP", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计事件"
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="audit_stream_seq_unique"),
            models.UniqueConstraint(fields=["stream", "prev_hash"], name="audit_no_fork"),
        ]
        indexes = [
            models.Index(fields=["actor_name"]),  # the auditors' filter
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.action}"


class AuditCheckpoint(models.Model):
    """A signed head of a stream (Ed25519, key outside the database)."""

    stream = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    head = models.CharField(max_length=64)
    time = models.CharField(max_length=40)
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128)

    class Meta:
        verbose_name = verbose_name_plural = "审计签名检查点"
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="checkpoint_stream_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stream}@{self.seq}"
