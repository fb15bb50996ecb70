"""The public juror's voting pass (投票凭证): how a juror recruited from society votes on
their phone without an account of the platform.

The pass is the juror's id signed with the platform's secret key (HMAC-SHA256,
``django.core.signing``, as the member pass of ``perks/passes.py``), valid for a few days:
staff hand it over as a link and a QR code when the juror is seated and may show it again
(a new pass) at any time. The pass proves who votes; whether the juror may vote (public,
seated, not recused) is decided by the vote itself, in the database."""

from django.core import signing

SALT = "gonghui.contests.juror"
MAX_AGE = 3 * 24 * 60 * 60
HEADER = "X-Juror-Pass"

_signer = signing.TimestampSigner(salt=SALT)


def issue(juror_id: int) -> str:
    return _signer.sign(str(juror_id))


def juror_of(token: str) -> int | None:
    """The pass's juror id, or None when it is forged, malformed or expired."""
    try:
        return int(_signer.unsign(token, max_age=MAX_AGE))
    except (signing.BadSignature, ValueError):
        return None
