"""Password rule beyond Django's validators: letters and digits both present."""

from django.core.exceptions import ValidationError


class MixedCharacterValidator:
    def validate(self, password, user=None):
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError("密码须同时包含字母和数字。", code="password_not_mixed")

    def get_help_text(self):
        return "密码须同时包含字母和数字。"
