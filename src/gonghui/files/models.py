"""Attachments (附件): documents and photos that belong to a record, stored through one
storage layer (local files by default, S3-compatible when configured)."""

import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


def folder(at: datetime) -> str:
    """Where the files uploaded at ``at`` are stored: a folder a month (UTC)."""
    return f"attachments/{at.astimezone(UTC):%Y/%m}"


def _upload_to(instance, filename):
    # A random name: the stored path reveals neither the person nor the original name.
    return f"{folder(instance.created_at)}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to any record; readable by whoever's scope covers ``org_unit``."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name="对象类型")
    object_id = models.CharField("对象编号", max_length=64)
    owner = GenericForeignKey("content_type", "object_id")
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name="工会组织"
    )
    file = models.FileField("文件", upload_to=_upload_to, max_length=200)
    name = models.CharField("文件名", max_length=200)
    mime_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256摘要", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="上传人",
    )
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = verbose_name_plural = "附件"
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.name
