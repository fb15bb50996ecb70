"""The venue's rotating check-in code (扫码签到), the same approach as the counter's card code
(``perks.passes.card_token``): the session id signed with the time (HMAC-SHA256 with the
platform's key, ``django.core.signing.TimestampSigner`` with its own salt). The venue screen
shows a new code every ``ROTATE_SECONDS``; each is accepted for
``settings.TRAINING_CHECKIN_QR_LIFE`` seconds, so a screenshot sent to a friend stops
working within that time. The digest of the code used is kept on the attendance."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing

SALT = "gonghui.training.checkin"
PREFIX = "GHT:"
ROTATE_SECONDS = 10
_signer = signing.TimestampSigner(salt=SALT)


def life() -> int:
    return int(getattr(settings, "TRAINING_CHECKIN_QR_LIFE", 30))


def checkin_token(session_id: int) -> str:
    return PREFIX + _signer.sign(str(session_id))


def session_of(token: str) -> tuple[int | None, str]:
    """The session id of a genuine, fresh code, else None and why (in Chinese)."""
    token = (token or "").strip()
    if not token.startswith(PREFIX):
        return None, "签到码无效，请扫描现场大屏上的二维码"
    try:
        return int(_signer.unsign(token[len(PREFIX) :], max_age=life())), ""
    except signing.SignatureExpired:
        return None, "签到码已过期，请扫描现场大屏上最新的二维码"
    except (signing.BadSignature, ValueError):
        return None, "签到码无效，请扫描现场大屏上的二维码"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
