"""The member pass: how a member's phone authenticates its claims.

A claim storm is tens of thousands of members pressing at one second; a session looked up
(and, with SESSION_SAVE_EVERY_REQUEST, written) per request would cost more than the claim.
So the member's page, opened with their session, carries a pass: their person id signed
with the platform's secret key (HMAC-SHA256, ``django.core.signing``), valid for two
hours and re-issued whenever the page is opened. The claim API checks the signature and
the age, nothing else; the claim itself checks the card in the database."""

from django.core import signing

SALT = "gonghui.perks.pass"
MAX_AGE = 2 * 60 * 60
HEADER = "X-Member-Pass"

_signer = signing.TimestampSigner(salt=SALT)


def issue(person_id: int) -> str:
    return _signer.sign(str(person_id))


def person_of(token: str) -> int | None:
    """The pass's person id, or None when it is forged, malformed or expired."""
    try:
        return int(_signer.unsign(token, max_age=MAX_AGE))
    except (signing.BadSignature, ValueError):
        return None


# The card's QR code at a merchant's counter: the card id signed with the time, valid for a
# minute and accepted once (CardUse.token_digest), so a screenshot of an old code fails.
CARD_SALT = "gonghui.perks.card"
CARD_MAX_AGE = 60
_card_signer = signing.TimestampSigner(salt=CARD_SALT)


def card_token(card_id: int) -> str:
    return "GHC:" + _card_signer.sign(str(card_id))


def card_of(token: str) -> int | None:
    """The card id of a fresh, genuine QR code; None for anything else."""
    if not token.startswith("GHC:"):
        return None
    try:
        return int(_card_signer.unsign(token[4:], max_age=CARD_MAX_AGE))
    except (signing.BadSignature, ValueError):
        return None
