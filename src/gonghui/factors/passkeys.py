"""Passkeys through django-otp-webauthn: its ceremonies and JavaScript, with the
platform's relying party (the configured host name, else the request's), its origins, and
an audit event for each registration and each use. Passkeys are a second factor here only:
the password comes first (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off)."""

import json

from django.conf import settings
from django_otp_webauthn import views
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from gonghui.factors import services

NEW_CODES = "gonghui_new_recovery_codes"  # shown once by factors:recovery, then dropped


def rp_id(request) -> str:
    """The relying party: GONGHUI_PASSKEY_RP_ID, else the host the page is served on."""
    return settings.PASSKEY_RP_ID or request.get_host().rsplit(":", 1)[0].strip("[]")


class Helper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        """GONGHUI_PASSKEY_ORIGINS, else the page's own origin (its host is one of
        ALLOWED_HOSTS, or Django refused the request already)."""
        if settings.PASSKEY_ORIGINS:
            return settings.PASSKEY_ORIGINS
        return [f"{self.request.scheme}://{self.request.get_host()}"]


def _device(response) -> WebAuthnCredential | None:
    if response.status_code != 200:
        return None
    return WebAuthnCredential.objects.filter(pk=json.loads(response.content)["id"]).first()


class RegisterBegin(views.BeginCredentialRegistrationView):
    def check_can_register(self):
        services.require_staff(self.request.user)


class RegisterComplete(views.CompleteCredentialRegistrationView):
    """The library's registration, then the enrolment recorded (and the first factor's
    recovery codes kept in the session, for the page that shows them once)."""

    def check_can_register(self):
        services.require_staff(self.request.user)

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        device = _device(response)
        if device is not None:
            codes = services.passkey_registered(actor=self.request.user, device=device)
            if codes:
                self.request.session[NEW_CODES] = codes
        return response


class AuthComplete(views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        super().complete_auth(device)
        services.passkey_verified(actor=self.request.user, device=device)
