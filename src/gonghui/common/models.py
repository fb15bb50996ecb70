"""The official calendar of working days, as data (see common.workdays)."""

from django.conf import settings
from django.db import models


class CalendarYear(models.Model):
    """A year whose official schedule of public holidays and make-up workdays (国务院办公厅
    关于部分节假日安排的通知) is known. Working-day arithmetic refuses to run into a year
    without one: a notice period is never counted on a guess."""

    class Source(models.TextChoices):
        LIBRARY = "chinese-calendar", "chinese-calendar 数据"
        STAFF = "staff", "工作人员录入"

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    basis = models.CharField("依据（通知名称、文号）", max_length=200, blank=True)
    entered_at = models.DateTimeField("录入时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日安排年度"
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day off the Monday-to-Friday rule: a public holiday (``is_workday`` false) or a
    make-up workday on a weekend (调休, ``is_workday`` true)."""

    date = models.DateField("日期", primary_key=True)
    is_workday = models.BooleanField("上班")
    name = models.CharField("节日", max_length=40, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '放假'} {self.name}"


class Counter(models.Model):
    """A rate-limit counter without Redis (``common.ratelimit``): how many hits ``key`` has
    had in the window that started at its first hit and ends at ``expires`` (Unix time).
    Hits are counted by one upsert each, so concurrent processes never lose one; a row past
    its end counts afresh, and the worker deletes such rows."""

    key = models.CharField("键", max_length=255, primary_key=True)
    n = models.BigIntegerField("次数")
    expires = models.FloatField("窗口结束（Unix 时间）")

    class Meta:
        verbose_name = verbose_name_plural = "限次计数"

    def __str__(self) -> str:
        return f"{self.key}: {self.n}"


class PasswordHistory(models.Model):
    """A password an account has had: its stored hash (never the password) and when it was
    set. Written on every set (``common.passwords.PasswordHistoryValidator.password_changed``,
    which Django calls from ``User.save()`` after any ``set_password``: the user's own page,
    the admin site, ``changepassword``, a new account, a reset); the newest rows refuse a
    reuse and the newest one dates the password for its maximum age."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="账号",
        db_index=False,  # the (user, set_at) index below serves it
    )
    password = models.CharField("口令散列值", max_length=128)
    set_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = verbose_name_plural = "历史口令"
        indexes = [models.Index(fields=["user", "-set_at"], name="password_history_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.set_at:%Y-%m-%d %H:%M}"
