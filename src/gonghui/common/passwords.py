"""Password rule beyond Django's validators: letters and digits both present."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError


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
