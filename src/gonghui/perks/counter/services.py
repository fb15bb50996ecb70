"""A merchant's counter (商户核验): check a member's service card by its QR code, and accept a
giveaway's pickup code (领取码核销), at the counter or at the organisers' own desk.

A counter account sees one card at a time, through the member's QR code, and only a masked
name, the last four digits and whether the card may be used: no page or endpoint lists,
searches or opens cards for it (card reads need ``perks.view``, which only union posts
hold, and a counter account has none). Each write is one transaction with its audit event;
a QR code and a pickup code are each accepted once, decided by the database (a unique
digest, a conditional update), so two scanners can never both accept the same one."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import pii, ratelimit
from gonghui.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Throttled,
    ValidationFailed,
)
from gonghui.common.formats import cn_datetime
from gonghui.common.workdays import today
from gonghui.orgs import access
from gonghui.perks import passes
from gonghui.perks.cards.selectors import mask_number
from gonghui.perks.counter.selectors import counter_account
from gonghui.perks.giveaways import claims, draw
from gonghui.perks.giveaways.selectors import NO_CARD, card_held
from gonghui.perks.models import Card, CardUse, Claim, MerchantStaff

VERIFY_LIMIT = 60  # card checks per counter account per minute
VERIFY_WINDOW = 60
QR_INVALID = "二维码无效或已过期，请会员刷新后再出示"
QR_USED = "该二维码已使用，请会员刷新"


def _counter_of(actor) -> MerchantStaff:
    staff = counter_account(actor)
    if staff is None:
        raise Forbidden("只有合作商户的核验账号可以核验服务卡")
    return staff


def _require_serving(staff: MerchantStaff, what: str) -> None:
    """A counter works only while its merchant is active and within its contract (Beijing
    date): checking cards and accepting pickup codes alike."""
    merchant = staff.merchant
    day = today()
    if not (merchant.is_active and merchant.valid_from <= day <= merchant.valid_until):
        raise Forbidden(f"本商户未启用或不在合作期内，不能{what}")


def card_verify(*, actor, token: str) -> dict:
    """Check a card's QR code at a merchant's counter.

    The code is the card id signed with the time (``passes.card_token``, a minute's life);
    each code is accepted once — the use's row carries the code's SHA-256 under a unique
    constraint, so two counters scanning the same screenshot cannot both accept it (the
    insert decides, not a look-up before it). A card not in use answers ``valid: False``
    with the reason and records nothing. The answer holds a masked name and the last four
    digits only."""
    staff = _counter_of(actor)
    if ratelimit.hit(f"perks.verify:{actor.pk}", window=VERIFY_WINDOW) > VERIFY_LIMIT:
        raise Throttled("核验过于频繁，请稍后再试")
    _require_serving(staff, "核验服务卡")
    merchant = staff.merchant
    token = (token or "").strip()
    card_id = passes.card_of(token) if len(token) <= 200 else None
    card = Card.objects.select_related("person").filter(pk=card_id).first() if card_id else None
    if card is None:
        raise DomainError(QR_INVALID, code="invalid_token")
    answer = {
        "valid": False,
        "name": pii.mask_name(card.person.name),
        "card": mask_number(card.number),
        "reason": "",
    }
    if card.status != Card.Status.ACTIVE:
        answer["reason"] = f"该卡{card.get_status_display()}，不能享受会员优惠"
        return answer
    try:
        with transaction.atomic():
            use = CardUse.objects.create(
                card=card,
                merchant=merchant,
                location=staff.location,
                staff=actor,
                token_digest=hashlib.sha256(token.encode()).hexdigest(),
            )
            record(  # the use is a write like any other: it leaves its event
                actor=actor,
                action=Action.PERKS_CARD_USE,
                obj=use,
                org_unit_id=card.org_unit_id,
                changes={"card": [None, mask_number(card.number)], "merchant": [None, merchant.pk]},
            )
    except IntegrityError:
        raise Conflict(QR_USED) from None
    answer["valid"] = True
    return answer


def pickup_accept(*, actor, code: str) -> Claim:
    """Accept a pickup code at the venue, once: one conditional update decides, so two
    scanners cannot both accept it; a refused code says why (used when and where, wrong
    venue, the member's card no longer in use, outside the pickup window, not a holder)."""
    code = draw.normalize_receipt(code or "")
    if len(code) != claims.CODE_LENGTH:
        raise ValidationFailed({"code": f"领取码应为 {claims.CODE_LENGTH} 位字母或数字"})
    venue = _venue_of(actor)
    claim = (
        Claim.objects.select_related("giveaway__pickup_location__merchant", "giveaway__org_unit")
        .filter(code=code)
        .first()
    )
    if claim is None:
        raise NotFound("领取码不存在，请核对")
    giveaway = claim.giveaway
    location = giveaway.pickup_location
    if venue is None:  # union staff at their own giveaway's desk
        if not access.can_at(actor, "perks.manage", giveaway.org_unit):
            raise NotFound("领取码不存在，请核对")  # another union's giveaway
    elif venue.merchant_id != location.merchant_id or venue.location_id not in (None, location.pk):
        raise Forbidden(f"此领取码应在“{location}”领取（{location.address}）")
    # Lottery winners too: the draw stands as drawn, but the item is for members.
    held = giveaway.claims.filter(pk=claim.pk).filter(card_held(giveaway))
    if claim.status == Claim.Status.WON and not held.exists():
        raise Conflict(f"持卡人的{NO_CARD}，不能领取；请会员联系所在基层工会")
    now = timezone.now()
    in_window = giveaway.pickup_from <= now < giveaway.pickup_until
    with transaction.atomic():
        # The condition is on the claim's own row only: on PostgreSQL a second scanner's
        # update waits for the first and re-checks the status on the row it then sees (a
        # condition through a join would be re-checked against the old snapshot, and two
        # scanners could both accept).
        accepted = in_window and Claim.objects.filter(pk=claim.pk, status=Claim.Status.WON).update(
            status=Claim.Status.PICKED_UP,
            picked_up_at=now,
            picked_up_by=actor,
            picked_up_location=location,
        )
        if accepted:
            record(  # in the giveaway's own stream, with its other events
                actor=actor,
                action=Action.PERKS_PICKUP,
                obj=claim,
                org_unit_id=giveaway.org_unit_id,
                changes={"status": ["won", "picked_up"], "location": [None, str(location)]},
                stream=giveaway.stream,
            )
    claim.refresh_from_db()
    if accepted:
        return claim
    if claim.status == Claim.Status.PICKED_UP:
        where = claim.picked_up_location or location
        raise Conflict(
            f"该领取码已于 {cn_datetime(claim.picked_up_at, seconds=True)} 在“{where}”核销，不能重复领取"
        )
    if claim.status != Claim.Status.WON:
        raise Conflict(f"该领取码无效：{claim.get_status_display()}")
    if now < giveaway.pickup_from:
        raise Conflict(f"尚未到领取时间（{cn_datetime(giveaway.pickup_from)}开始）")
    raise Conflict(f"领取已截止（{cn_datetime(giveaway.pickup_until)}）")


def _venue_of(actor):
    staff = counter_account(actor)
    if staff is not None:
        _require_serving(staff, "核销领取码")
    elif not access.can(actor, "perks.manage"):
        raise Forbidden("只有领取点工作人员可以核销领取码")
    return staff
