"""Password rules beyond Django's validators: letters and digits both present; never the
demo's published password."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from gonghui.common.demo import DEMO_PASSWORD


class MixedCharacterValidator:
    def validate(self, password, user=None):
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError("密码须同时包含字母和数字。", code="password_not_mixed")

    def get_help_text(self):
        return "密码须同时包含字母和数字。"


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
