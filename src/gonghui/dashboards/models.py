"""The dashboards' pre-aggregated figures (数据看板) and the wall screen's display tokens.

A page view reads ``Fact`` rows only, never the programmes' own tables: each metric's facts
are rebuilt from those tables by ``refresh`` after the writes that change them."""

import secrets

from django.conf import settings
from django.db import models

from gonghui.orgs.models import token_digest


class Fact(models.Model):
    """One figure of a metric: at a union node (its whole subtree counted), in a year, for
    one key of the metric (an honour, a status, 预算/已承诺/已支付 …). Every figure is
    rolled up to each ancestor of the unit it was counted at, and carries its node's parent,
    so that a node's own figures and its children's are each one indexed read."""

    metric = models.CharField("指标", max_length=40)
    node = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.CASCADE, related_name="+", verbose_name="组织节点"
    )
    parent = models.ForeignKey(
        "orgs.OrgUnit",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name="上级组织",
    )
    year = models.PositiveSmallIntegerField("年度")
    key = models.CharField("分组", max_length=120)
    value = models.BigIntegerField("数值")

    class Meta:
        verbose_name = verbose_name_plural = "看板数据"
        indexes = [
            models.Index(fields=["metric", "node", "year"], name="fact_node"),
            models.Index(fields=["metric", "parent", "year"], name="fact_children"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.node_id} {self.year} {self.key}={self.value}"


class MetricState(models.Model):
    """When a metric's facts were last rebuilt, and the last audit event they reflect (an
    event after it of one of the metric's sources makes the metric due again)."""

    metric = models.CharField("指标", max_length=40, primary_key=True)
    refreshed_at = models.DateTimeField("刷新时间")
    through_event = models.BigIntegerField("已汇总至事件", default=0)
    rows = models.PositiveIntegerField("行数", default=0)
    seconds = models.FloatField("耗时（秒）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "看板刷新状态"

    def __str__(self) -> str:
        return f"{self.metric} @ {self.refreshed_at}"


class DisplayToken(models.Model):
    """A read-only display token for the union hall's wall screen (大屏展示令牌): bound to a
    node, it opens that node's wall screen and its data, and nothing else (no page, no API,
    no session). Only its SHA-256 is stored; the raw token is shown once."""

    name = models.CharField("用途", max_length=60)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="展示范围", on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    prefix = models.CharField("令牌前缀", max_length=8, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "大屏展示令牌"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_raw() -> str:
        return "gd_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash(raw: str) -> str:
        return token_digest(raw)

    def state_at(self, now) -> str:
        if self.revoked_at is not None:
            return "已吊销"
        if self.expires_at is not None and self.expires_at <= now:
            return "已过期"
        return "有效"
