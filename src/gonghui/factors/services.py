"""Every write of the second factor: enrolment, the check at sign-in, recovery codes,
removal and a security administrator's reset; each with its audit event.

A code is checked outside any transaction: django-otp counts a wrong code on the device
itself (its throttling: each failure doubles the wait before the next try), and that count
must survive the refusal; the enrolment or the event it leads to is then one transaction."""

from __future__ import annotations

import math
import secrets
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import ratelimit
from gonghui.common.errors import Forbidden, NotFound, Throttled, ValidationFailed
from gonghui.factors import selectors
from gonghui.factors.models import (
    ALPHABET,
    GROUPS,
    RecoveryCode,
    RecoveryDevice,
    digest,
    looks_like_recovery,
    normalise,
)
from gonghui.orgs import access

RECOVERY_CODES = 10
EXPIRED_STEPS = 10  # how far back a code is still recognised as "expired" (not "wrong")

WRONG = "验证码不正确：请输入验证器应用当前显示的 6 位数字，或一个未用过的恢复码"
REPLAYED = "这个验证码刚刚已经用过：请等验证器应用显示下一个验证码（最多 30 秒）后再输入"
EXPIRED = "验证码已过期：请输入验证器应用当前显示的验证码；若总是过期，请校准手机的时间"
USED_RECOVERY = "这个恢复码已经用过，每个恢复码只能用一次：请换一个未用过的恢复码"
WAIT = "验证失败次数过多，请 {} 秒后再试"
LOCKED = "二次验证失败次数过多，请 {} 分钟后再试"
EMPTY = "请输入验证码或恢复码"


def _failures_key(user) -> str:
    return f"factor:fail:{user.pk}"


def factor_check(*, actor, code: str):
    """The second step of a sign-in: a TOTP code or a recovery code. Returns the device
    that passed; a wrong, replayed or expired code, a used recovery code, or a try while
    the device waits is refused (``ValidationFailed`` on ``code``, ``Throttled``) and
    recorded (二次验证失败), nothing else changed; a try while the account's step is locked
    out is refused unrecorded (the lock-out's start was: one event per request would let
    anyone fill the log). Wrong codes count towards a lock-out of the
    account's second step (``LOGIN_MAX_FAILURES`` in ``LOGIN_LOCK_SECONDS``), besides
    django-otp's per-device throttling."""
    code = (code or "").strip()
    if not code:
        raise ValidationFailed({"code": EMPTY})
    window = settings.LOGIN_LOCK_SECONDS
    # Every try is counted before its code is checked, in one atomic step (as the password's
    # lock-out counts, common/lockout.py): tries sent at once cannot each have a guess
    # before the count moves. A right code clears it.
    if ratelimit.hit(_failures_key(actor), window=window) > settings.LOGIN_MAX_FAILURES:
        raise Throttled(LOCKED.format(math.ceil(window / 60)))
    recovery = looks_like_recovery(code)
    devices = (
        list(RecoveryDevice.objects.filter(user=actor))
        if recovery
        else list(TOTPDevice.objects.filter(user=actor, confirmed=True))
    )
    refusal = _throttled(devices)
    if refusal is None:
        for device in devices:
            if device.verify_token(normalise(code) if recovery else code):
                ratelimit.clear(_failures_key(actor))
                with transaction.atomic():
                    action = Action.FACTORS_RECOVERY_USED if recovery else Action.FACTORS_VERIFIED
                    record(actor=actor, action=action, obj=actor)
                return device
        refusal = ValidationFailed({"code": _refusal(devices, code, recovery)})
    reason = refusal.fields["code"] if isinstance(refusal, ValidationFailed) else refusal.message
    with transaction.atomic():
        record(
            actor=actor, action=Action.FACTORS_FAILED, obj=actor, changes={"原因": [None, reason]}
        )
    raise refusal


def _throttled(devices) -> Throttled | None:
    """django-otp's wait after a wrong code (doubling with each), when every device that
    could take the code is waiting: how long, in seconds."""
    until = []
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if allowed:
            return None
        if info and info.get("locked_until"):
            until.append(info["locked_until"].timestamp())
    if not until:
        return None
    return Throttled(WAIT.format(max(1, math.ceil(min(until) - time.time()))))


def _refusal(devices, code: str, recovery: bool) -> str:
    """Why a code was refused, in words the user can act on."""
    if recovery:
        used = RecoveryCode.objects.filter(
            device__in=devices, digest=digest(code), used_at__isnull=False
        ).exists()
        return USED_RECOVERY if used else WRONG
    if not code.isdigit():
        return WRONG
    now = time.time()
    for device in devices:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        for back in range(EXPIRED_STEPS + 1):
            totp.time = now - back * device.step
            if totp.token() == int(code):
                return REPLAYED if totp.t() <= device.last_t else EXPIRED
    return WRONG


def passkey_verified(*, actor, device) -> None:
    """A passkey passed the second step (django-otp-webauthn checked it)."""
    ratelimit.clear(_failures_key(actor))
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.FACTORS_VERIFIED,
            obj=actor,
            changes={"方式": [None, f"{selectors.KIND_LABELS['passkey']}：{device.name}"]},
        )


def totp_start(*, actor) -> TOTPDevice:
    """The authenticator app being set up: a new secret, not yet a factor (nothing is
    enabled, nothing recorded, until ``totp_confirm`` receives its first code)."""
    require_staff(actor)
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=actor, name="验证器应用", confirmed=False)


def totp_confirm(*, actor, device_id: int, code: str, name: str = "") -> list[str] | None:
    """The first code from the app proves it holds the secret: the device becomes a
    factor. The first factor of an account comes with its recovery codes (returned, to be
    shown once); later ones return None."""
    require_staff(actor)
    device = TOTPDevice.objects.filter(pk=device_id, user=actor, confirmed=False).first()
    if device is None:
        raise NotFound("这个验证器设置已失效，请重新开始绑定")
    code = (code or "").strip()
    if not code:
        raise ValidationFailed({"code": "请输入验证器应用显示的 6 位数字"})
    waiting = _throttled([device])
    if waiting is not None:
        raise ValidationFailed({"code": waiting.message})
    if not device.verify_token(code):
        raise ValidationFailed({"code": _refusal([device], code, recovery=False)})
    with transaction.atomic():
        device.confirmed = True
        device.name = name.strip()[:64] or "验证器应用"
        device.save(update_fields=["confirmed", "name"])
        return _enrolled(actor, f"验证器应用：{device.name}")


def passkey_registered(*, actor, device: WebAuthnCredential) -> list[str] | None:
    """A passkey registered through django-otp-webauthn's views: recorded as enrolled (the
    first factor comes with recovery codes, as ``totp_confirm``)."""
    with transaction.atomic():
        return _enrolled(actor, f"通行密钥：{device.name}")


def _enrolled(actor, what: str) -> list[str] | None:
    record(actor=actor, action=Action.FACTORS_ENROL, obj=actor, changes={"方式": [None, what]})
    if RecoveryDevice.objects.filter(user=actor).exists():
        return None
    return _new_codes(actor)


def recovery_codes_generate(*, actor) -> list[str]:
    """Ten new recovery codes (the old ones stop working), returned once: only their
    digests are kept. Only for an account that has a factor to recover."""
    if not selectors.enrolled(actor):
        raise Forbidden("请先绑定验证器应用或通行密钥，再生成恢复码")
    with transaction.atomic():
        return _new_codes(actor)


def _new_codes(actor) -> list[str]:
    device, _ = RecoveryDevice.objects.get_or_create(
        user=actor, defaults={"name": "恢复码", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [
        "".join(secrets.choice(ALPHABET) for _ in range(4 * GROUPS)) for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, digest=digest(c)) for c in codes)
    record(actor=actor, action=Action.FACTORS_RECOVERY_CODES, obj=actor)
    return ["-".join(c[i : i + 4] for i in range(0, len(c), 4)) for c in codes]


def factor_remove(*, actor, kind: str, pk: int) -> None:
    """A user removes one of their own factors; not the last one while a factor is
    required of them (they would be shut out at once)."""
    models = {"totp": TOTPDevice, "passkey": WebAuthnCredential}
    if kind not in models:
        raise NotFound()
    device = models[kind].objects.filter(pk=pk, user=actor, confirmed=True).first()
    if device is None:
        raise NotFound()
    if len(selectors.factors(actor)) == 1 and selectors.need(actor).required:
        raise Forbidden("您的岗位必须使用二次验证，不能删除最后一个验证方式：请先添加另一个")
    with transaction.atomic():
        device.delete()
        if not selectors.enrolled(actor):
            # The last factor gone: its recovery codes go with it (they would pass the
            # second step alone, and a new enrolment shows new ones).
            RecoveryDevice.objects.filter(user=actor).delete()
        what = f"{selectors.KIND_LABELS[kind]}：{device.name}"
        record(actor=actor, action=Action.FACTORS_REMOVE, obj=actor, changes={"方式": [what, None]})


def factors_reset(*, actor, username: str, reason: str):
    """A security administrator (``security.reset_factor`` over the whole city) removes
    every factor and recovery code of another account, which must then enrol again at its
    next sign-in. The reason is recorded. ``actor`` None: an operator at the console."""
    reason = (reason or "").strip()
    if actor is not None and not access.can_citywide(actor, "security.reset_factor"):
        raise NotFound()
    user = get_user_model().objects.filter(username__iexact=(username or "").strip()).first()
    if user is None:
        raise ValidationFailed({"username": f"没有名为 {username} 的账号"})
    if actor is not None and user.pk == actor.pk:
        raise ValidationFailed({"username": "不能重置自己的二次验证：请在“二次验证”页管理"})
    if len(reason) < 4:
        raise ValidationFailed(
            {"reason": "请写明重置原因（至少 4 个字），如“手机丢失，本人到场核实”"}
        )
    with transaction.atomic():
        removed = [f.kind_label + "：" + f.name for f in selectors.factors(user)]
        TOTPDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        RecoveryDevice.objects.filter(user=user).delete()
        record(
            actor=actor,
            action=Action.FACTORS_RESET,
            obj=user,
            changes={"原因": [None, reason], "删除": ["；".join(removed), None]},
        )
    return user


def require_staff(actor) -> None:
    """Enrolment is for staff: members and counter accounts keep their simpler sign-in."""
    if not selectors.need(actor).staff:
        raise NotFound()
