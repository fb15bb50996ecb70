"""The recovery codes: the one factor of our own (TOTP and passkeys are django-otp's and
django-otp-webauthn's devices). A user's ten codes are one django-otp device, so that a
code passes the second step like any factor; each code is stored as its SHA-256 digest
only (80 random bits: no dictionary to try) and works once."""

import hashlib

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin

# Recovery codes: XXXX-XXXX-XXXX-XXXX from 32 letters and digits (no 0/O, 1/I): 80 bits.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GROUPS = 4


def normalise(code: str) -> str:
    """What the user typed, as stored: upper case, no dashes or spaces."""
    return "".join(c for c in (code or "").upper() if c.isalnum())


def digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def looks_like_recovery(code: str) -> bool:
    return len(normalise(code)) == 4 * GROUPS and not normalise(code).isdigit()


class RecoveryDevice(ThrottlingMixin, Device):
    """A user's set of recovery codes (one set a user: regenerating replaces its codes)."""

    class Meta(Device.Meta):
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        with transaction.atomic():
            used = self.codes.filter(digest=digest(token), used_at=None).update(
                used_at=timezone.now()
            )
        if used:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False

    def unused(self) -> int:
        return self.codes.filter(used_at=None).count()


# The library's fields, named in Chinese as the platform's own (the admin, the audit page).
for _name, _label in {
    "user": "用户",
    "name": "名称",
    "confirmed": "已确认",
    "throttling_failure_timestamp": "最近一次验证失败时间",
    "throttling_failure_count": "连续验证失败次数",
}.items():
    RecoveryDevice._meta.get_field(_name).verbose_name = _label


class RecoveryCode(models.Model):
    device = models.ForeignKey(
        RecoveryDevice, verbose_name="恢复码组", on_delete=models.CASCADE, related_name="codes"
    )
    digest = models.CharField("摘要（SHA-256）", max_length=64)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="factors_code_once")
        ]

    def __str__(self) -> str:
        return f"恢复码 #{self.pk}（{'已使用' if self.used_at else '未使用'}）"
