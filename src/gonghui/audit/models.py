"""The audit log (审计日志): append-only, hash-chained streams with signed checkpoints."""

from django.db import models

# The tables no one may change or empty (triggers on both databases; INSERT and SELECT only
# for the application's role, see roles.py).
APPEND_ONLY_TABLES = (
    "audit_auditevent",
    "audit_auditcheckpoint",
    "audit_audithead",
    "audit_auditarchive",
)


class AuditEvent(models.Model):
    """One event of one stream. ``body`` is the canonical JSON that is hashed: it holds the
    whole content; the other columns copy parts of it for filtering, and the verifier checks
    that they agree. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE."""

    stream = models.CharField("流", max_length=64)
    seq = models.BigIntegerField("序号")
    prev_hash = models.CharField("前一事件哈希", max_length=64)
    hash = models.CharField("本事件哈希", max_length=64)
    body = models.TextField("事件内容")
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
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)

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
            # The workbench's feed: a user's latest events, read backwards from the index.
            models.Index(fields=["actor_id", "created_at"], name="audit_actor_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.action}"


class AuditCheckpoint(models.Model):
    """A signed head of a stream (Ed25519, key outside the database)."""

    stream = models.CharField("审计流", max_length=64)
    seq = models.BigIntegerField("序号")
    head = models.CharField("链头哈希", max_length=64)
    time = models.CharField("签名时间", max_length=40)
    key_id = models.CharField("密钥编号", max_length=32)
    signature = models.CharField("签名", max_length=128)

    class Meta:
        verbose_name = verbose_name_plural = "审计签名检查点"
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="checkpoint_stream_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stream}@{self.seq}"


class AuditHead(models.Model):
    """A signed platform head (平台链头): which streams moved since head ``n - 1`` and the
    root over every stream's head after it (rules in verifier.py). Signed by the worker every
    minute and appended to the witness file outside the database. Append-only, like the
    events."""

    n = models.BigIntegerField("序号", unique=True)
    time = models.CharField("签名时间", max_length=40)
    prev = models.CharField("前一链头", max_length=64)
    root = models.CharField("根哈希", max_length=64)
    streams = models.TextField("本次变动的流")  # canonical JSON: name -> [seq, hash]
    key_id = models.CharField("密钥编号", max_length=32)
    signature = models.CharField("签名", max_length=128)

    class Meta:
        verbose_name = verbose_name_plural = "平台链头"

    def __str__(self) -> str:
        return f"head #{self.n}"


class SignedStreamHead(models.Model):
    """Each stream's head as the last platform head signed it: the signer's starting point,
    so it reads only what is new. Not evidence: the signer checks these rows against the
    last head's root before it trusts them."""

    stream = models.CharField("审计流", max_length=64, unique=True)
    seq = models.BigIntegerField("序号")
    hash = models.CharField("链头哈希", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "已签名的流链头"

    def __str__(self) -> str:
        return f"{self.stream}@{self.seq}"


class AuditArchive(models.Model):
    """Events of one stream moved off the database after the online retention (审计归档,
    audit/retention.py): a signed bundle in the export format, from the event after the
    previous archive's last up to a signed checkpoint, written to the archive storage, read
    back and verified before this row was written, and before any of its events may be
    removed (``gonghui audit prune``). Append-only, like the events."""

    stream = models.CharField("审计流", max_length=64)
    first_seq = models.BigIntegerField("起始序号")
    last_seq = models.BigIntegerField("截止序号")
    last_hash = models.CharField("截止链头哈希", max_length=64)
    storage_name = models.CharField("存储位置", max_length=255)
    sha256 = models.CharField("数据包 SHA-256", max_length=64)
    size = models.BigIntegerField("数据包字节数")
    created_at = models.DateTimeField("归档时间")

    class Meta:
        verbose_name = verbose_name_plural = "审计归档"
        constraints = [
            models.UniqueConstraint(fields=["stream", "first_seq"], name="archive_stream_first"),
            models.UniqueConstraint(fields=["stream", "last_seq"], name="archive_stream_last"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.first_seq}-{self.last_seq}"
