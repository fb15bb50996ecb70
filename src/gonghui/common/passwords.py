"""The password policy (GONGHUI_PASSWORD_*, docs/sign-in.md) as Django password validators:
the length and the character classes, each with its reason in Chinese, never the demo's
published password (``DemoPasswordValidator``), and the history of
an account's passwords: a reuse of the newest ones is refused, and the newest dates the
password for its maximum age (``password_set_at``).

The history is written by ``PasswordHistoryValidator.password_changed``, which Django calls
from ``User.save()`` after every ``set_password``, whatever set it: the user's own page, the
admin site, ``changepassword``, a reset; and for a new account made with its password
hashed in (``create_user``, ``createsuperuser``) by ``first_password``. Django re-hashing
a password at sign-in is no new password and writes nothing. Its times are the real clock's
(``datetime.now``), as the audit's are: the demo replays the past with ``timezone.now`` only.
"""

import string
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, is_password_usable
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save
from django.dispatch import receiver

from gonghui.common.demo import DEMO_PASSWORD
from gonghui.common.models import PasswordHistory

# The four classes of characters a password draws on; anything not a Latin letter or a
# digit counts as a symbol.
CLASSES = ("大写字母", "小写字母", "数字", "符号")


def _classes(password: str) -> int:
    upper = any(c in string.ascii_uppercase for c in password)
    lower = any(c in string.ascii_lowercase for c in password)
    digit = any(c in string.digits for c in password)
    symbol = any(not (c.isascii() and c.isalnum()) for c in password)
    return upper + lower + digit + symbol


class CharacterClassesValidator:
    """At least ``classes`` of the four classes (GONGHUI_PASSWORD_CLASSES)."""

    def __init__(self, classes: int = 3):
        self.classes = classes

    def validate(self, password, user=None):
        if _classes(password) < self.classes:
            raise ValidationError(self.get_help_text(), code="password_too_few_classes")

    def get_help_text(self):
        return f"密码须包含{'、'.join(CLASSES)}这四类字符中的至少 {self.classes} 类。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule, in Chinese (its zh-hans catalogue lacks this message in 5.2)."""

    def get_error_message(self):
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少需要 {self.min_length} 个字符。"


class DemoPasswordValidator:
    """The demo's password is printed in the README and by ``gonghui demo``: no account may
    take it (the demo's own accounts get it without the validators, and are recorded:
    ``orgs.demo``). Compared without case and surrounding spaces."""

    def validate(self, password, user=None):
        if password.strip().casefold() == DEMO_PASSWORD.casefold():
            raise ValidationError(
                "不能使用演示数据的公开密码，请另设密码。", code="password_is_demo"
            )

    def get_help_text(self):
        return "不能使用演示数据的公开密码。"


class PasswordHistoryValidator:
    """The newest ``count`` passwords (GONGHUI_PASSWORD_HISTORY; the current one among them)
    may not be set again; every password set is recorded, whatever ``count`` is (0: no reuse
    check, only the newest row kept, for the password's age)."""

    def __init__(self, count: int = 5):
        self.count = count

    def validate(self, password, user=None):
        if not self.count or user is None or user.pk is None:
            return
        recent = PasswordHistory.objects.filter(user=user).order_by("-set_at", "-pk")
        hashes = list(recent.values_list("password", flat=True)[: self.count])
        if is_password_usable(user.password):
            hashes = list(dict.fromkeys([user.password, *hashes]))[: self.count]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def password_changed(self, password, user=None):
        PasswordHistory.objects.create(user=user, password=user.password, set_at=datetime.now(UTC))
        keep = max(self.count, 1)
        older = PasswordHistory.objects.filter(user=user).order_by("-set_at", "-pk")[keep:]
        PasswordHistory.objects.filter(pk__in=list(older.values_list("pk", flat=True))).delete()

    def get_help_text(self):
        return f"不能与最近 {self.count} 次使用过的密码相同。" if self.count else ""


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="common.passwords.first")
def first_password(sender, instance, created, raw=False, **kwargs):
    """A new account whose password was hashed in without ``set_password`` (whose own hook,
    after this signal, records the rest)."""
    if not created or raw or instance._password is not None:
        return
    if instance.password and is_password_usable(instance.password):
        for validator in password_validation.get_default_password_validators():
            if isinstance(validator, PasswordHistoryValidator):
                validator.password_changed(None, instance)


def password_set_at(user) -> datetime:
    """When the account's current password was set: its newest history row, else (an
    account whose password was never set through ``set_password``) when it was made."""
    newest = (
        PasswordHistory.objects.filter(user=user)
        .order_by("-set_at", "-pk")
        .values_list("set_at", flat=True)
        .first()
    )
    return newest or user.date_joined


def rules_text() -> str:
    """The configured rules in one line, for a password field's help text."""
    return "".join(password_validation.password_validators_help_texts())
