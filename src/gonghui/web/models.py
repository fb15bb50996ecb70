"""What the web pages keep of their own: a user's choices of how lists look."""

from django.conf import settings
from django.db import models


class ListColumns(models.Model):
    """The columns one user hid on one list (the page's URL name, e.g. ``web:person_list``),
    named by their header text so that a column added or moved later keeps the choice: the
    list shows, and exports, the others."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="用户"
    )
    list_name = models.CharField("列表", max_length=100)
    hidden = models.JSONField("隐藏的列", default=list)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "列表显示列"
        verbose_name_plural = "列表显示列"
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name"], name="web_list_columns_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.list_name}"
