"""Who must pass a second factor, and the factors a user holds.

Staff are the holders of an active post whose role is not a member's or a judge's (a
merchant's counter account holds no post at all): they may enrol. It is required for a
post at the city or a district, and for a post whose permissions fall in a separated class
(``orgs.permissions.duties``: an administrator's powers, or personal data unmasked). The rule reads the grants ``orgs.access`` has already
read for the request: no query of its own."""

from __future__ import annotations

from dataclasses import dataclass

from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from gonghui.factors.models import RecoveryDevice
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.orgs.permissions import duties

SIMPLE_ROLES = frozenset({"member", "judge"})  # keep the simpler sign-in
REQUIRED_LEVELS = frozenset({OrgUnit.Level.CITY, OrgUnit.Level.DISTRICT})


@dataclass(frozen=True)
class Need:
    staff: bool  # may enrol
    required: bool  # may use nothing but enrolment until enrolled


def need(user) -> Need:
    grants = [g for g in access.grants(user) if g.role not in SIMPLE_ROLES]
    # The separated classes (an administrator's powers, personal data unmasked) are read
    # from the permissions, as the separation of duties reads them: a staff-made role
    # holding such a power needs the factor as the built-in one does.
    required = any(g.level in REQUIRED_LEVELS or duties(g.permissions) for g in grants)
    return Need(staff=bool(grants), required=required)


def first_step(user, *, verified: bool) -> str | None:
    """The page a signed-in account must pass before any other (a URL name), or None: the
    second step when it holds a factor and has not passed it in this session; enrolment
    when a factor is required of it and it holds none."""
    if verified or not user.is_authenticated:
        return None
    required = need(user)
    if not required.staff:
        return None
    if enrolled(user):
        return "factors:verify"
    return "factors:setup" if required.required else None


@dataclass(frozen=True)
class Factor:
    kind: str  # totp | passkey
    pk: int
    name: str
    created: object
    last_used: object

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


KIND_LABELS = {"totp": "验证器应用（动态口令）", "passkey": "通行密钥（Passkey）"}


def factors(user) -> list[Factor]:
    """The user's confirmed factors (recovery codes apart), oldest first."""
    totps = [
        Factor("totp", d.pk, d.name, d.created_at, d.last_used_at)
        for d in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    keys = [
        Factor("passkey", d.pk, d.name, d.created_at, d.last_used_at)
        for d in WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    return totps + keys


def enrolled(user) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def recovery_left(user) -> int | None:
    """How many unused recovery codes the user holds (None: never generated)."""
    device = RecoveryDevice.objects.filter(user=user).first()
    return None if device is None else device.unused()
