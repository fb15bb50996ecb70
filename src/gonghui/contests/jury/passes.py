"""The public juror's voting pass (投票凭证): how a juror recruited from society votes on
their phone without an account of the platform.

The pass is the juror's id and pass count signed with the platform's secret key
(HMAC-SHA256, ``django.core.signing``, as the member pass of ``perks/passes.py``), valid for
a few days: staff hand it over as a link and a QR code when the juror is seated and may show
it again (a new pass) at any time. Unseating the juror raises their pass count, which
withdraws every pass handed out before. The pass proves who votes; whether the juror may
vote (public, seated, the pass not withdrawn, not recused) is decided by the vote itself.

The pass travels in the query string (``/vote/?pass=…``) or the ``X-Juror-Pass`` header,
never in a path: paths are written to the access and error logs."""

from django.core import signing

SALT = "gonghui.contests.juror"
MAX_AGE = 3 * 24 * 60 * 60
HEADER = "X-Juror-Pass"
PARAM = "pass"

_signer = signing.TimestampSigner(salt=SALT)


def issue(juror_id: int, count: int = 0) -> str:
    return _signer.sign(f"{juror_id}.{count}")


def read(token: str) -> tuple[int, int] | None:
    """(juror id, pass count) of the pass, or None when it is forged, malformed or
    expired."""
    try:
        value = _signer.unsign(token or "", max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    juror, _, count = value.partition(".")
    try:
        return int(juror), int(count or 0)
    except ValueError:
        return None


def juror_of(token: str) -> int | None:
    """The pass's juror id, or None when it is forged, malformed or expired."""
    found = read(token)
    return found[0] if found else None
