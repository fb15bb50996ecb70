"""Service cards (服务卡, 小红卡): issue one to a member, suspend, resume, cancel, report lost
and reissue. Bulk issue from a workbook is ``imports.py``.

Every write is a service (``card_<verb>(*, actor, ...)``, one transaction, its audit event
inside it). A card belongs to its holder's grassroots union at issue (``Card.org_unit``);
one live (active or suspended) card per person."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from stdnum import luhn

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.people.services import person_find_by_id_number
from gonghui.perks.cards.selectors import (
    LIVE,
    active_membership,
    may_know,
    member_card,
    membership_where,
)
from gonghui.perks.models import Card

CARD_PREFIX = "8610"
NUMBER_ATTEMPTS = 10
REASON_MAX = 200


def _new_number() -> str:
    """16 digits: 8610, 11 random digits, the Luhn check digit (as bank cards carry it, so a
    mistyped number is caught before any look-up)."""
    body = CARD_PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(11))
    return body + luhn.calc_check_digit(body)


def _has_card(person: Person, card: Card) -> Conflict:
    return Conflict(
        f"{person.name} 已有服务卡 {card.number}（{card.get_status_display()}），不能重复办卡"
    )


def new_card(person: Person, unit: OrgUnit, **extra) -> Card:
    """A new card with a fresh number. The database decides both races: a number drawn twice
    (UNIQUE(number): draw again) and a second live card for the person (the partial unique
    constraint: refused, naming the card that won). A step of ``card_issue``,
    ``card_reissue`` and ``cards_import``: their events record it."""
    for _ in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return Card.objects.create(
                    number=_new_number(), person=person, org_unit=unit, **extra
                )
        except IntegrityError:
            live = member_card(person)
            if live is not None:
                raise _has_card(person, live) from None
    raise DomainError("未能生成不重复的卡号，请重试")  # pragma: no cover - 10^11 numbers


def card_person(*, actor, id_number: str | None = None, pk=None) -> Person:
    """The person to issue a card to, found by resident ID (blind index) or by id, if the
    actor may know of them; ``NotFound`` for absent and out of scope alike."""
    if id_number is not None:
        # The platform's one look-up by full number: for posts that may see full numbers,
        # throttled, each try audited (people.services; docs/privacy.md).
        person = person_find_by_id_number(actor=actor, raw=id_number)
        if person is None or person.merged_into_id:
            raise NotFound("在您的管理范围内没有找到此人员")
        return person
    qs = Person.objects.select_related("org_unit").filter(merged_into__isnull=True)
    try:
        person = qs.get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise NotFound("在您的管理范围内没有找到此人员") from None
    if not may_know(actor, person, active_membership(person)):
        raise NotFound("在您的管理范围内没有找到此人员")
    return person


def card_issue_for(*, actor, person_id=None, id_number: str | None = None) -> Card:
    """Issue a card to the person named by id or by resident ID (one of the two). The
    look-up is its own step, outside the issue's transaction: a look-up by number is spent
    and recorded even when the issue is then refused (else probing would cost nothing)."""
    if (person_id is None) == (id_number is None):
        raise ValidationFailed({"person_id": "请提供人员ID或身份证号（二选一）"})
    if id_number is not None:
        person = card_person(actor=actor, id_number=id_number)
    else:
        person = card_person(actor=actor, pk=person_id)
    return card_issue(actor=actor, person=person)


@transaction.atomic
def card_issue(*, actor, person: Person) -> Card:
    """Issue a card to a member: needs an active membership (the card belongs to its union)
    and ``perks.cards`` there; one live (active or suspended) card per person."""
    membership = active_membership(person)
    if membership is None:
        if access.can_at(actor, "perks.view", person.org_unit) or access.can_at(
            actor, "people.view", person.org_unit
        ):
            raise Conflict(f"{person.name} 没有在会会籍，不能办理服务卡")
        raise NotFound()
    grant = access.require_at(actor, "perks.cards", membership.org_unit, view_perm="perks.view")
    live = member_card(person)
    if live is not None:
        raise _has_card(person, live)
    card = new_card(person, membership.org_unit)
    record(
        actor=actor,
        action=Action.PERKS_CARD_ISSUE,
        obj=card,
        post_id=grant.post_id,
        changes={
            "number": [None, card.number],
            "person": [None, person.pk],
            "org_unit": [None, membership.org_unit_id],
        },
    )
    return card


@dataclass(frozen=True)
class Move:
    """A card status change: from which states, to which, and whether it needs a reason."""

    label: str
    sources: tuple[str, ...]
    target: str
    reason_required: bool


MOVES = {
    "suspend": Move("暂停", (Card.Status.ACTIVE,), Card.Status.SUSPENDED, True),
    "resume": Move("恢复", (Card.Status.SUSPENDED,), Card.Status.ACTIVE, False),
    "cancel": Move("注销", LIVE, Card.Status.CANCELLED, True),
    "reissue": Move("挂失补卡", LIVE, Card.Status.LOST, True),
}


def _clean_reason(move: Move, reason: str | None) -> str:
    reason = (reason or "").strip()
    if move.reason_required and not reason:
        raise ValidationFailed({"reason": f"{move.label}须写明原因"})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": f"原因最长 {REASON_MAX} 字"})
    return reason


def _refused(card: Card, move: Move, status: str) -> Conflict:
    label = Card.Status(status).label
    if status == Card.Status.LOST and card.replaced_by_id:
        new = Card.objects.filter(pk=card.replaced_by_id).values_list("number", flat=True).first()
        return Conflict(f"服务卡 {card.number} 已挂失并补发新卡 {new}，不能{move.label}")
    if move.target == status:
        return Conflict(f"服务卡 {card.number} 已是“{label}”状态")
    return Conflict(f"服务卡 {card.number} 当前为“{label}”，不能{move.label}")


def _card_move(*, actor, card: Card, name: str, reason: str | None):
    """Change a card's status by one conditional update (a second click, or a colleague at
    the same moment, finds the card already moved and is told so). Returns the grant and
    the status before."""
    move = MOVES[name]
    grant = access.require_at(actor, "perks.cards", card.org_unit, view_perm="perks.view")
    reason = _clean_reason(move, reason)
    before = (
        Card.objects.select_for_update().filter(pk=card.pk).values_list("status", flat=True).get()
    )
    moved = 0
    if before in move.sources:
        now = timezone.now()
        moved = Card.objects.filter(pk=card.pk, status=before).update(
            status=move.target, status_changed_at=now, status_reason=reason
        )
    card.refresh_from_db()
    if not moved:
        raise _refused(card, move, card.status)
    return grant, before, reason


def _record_move(actor, card: Card, name: str, grant, before: str, reason: str, **extra):
    record(
        actor=actor,
        action=Action(f"perks.card_{name}"),
        obj=card,
        post_id=grant.post_id,
        changes={"status": [before, card.status], "reason": [None, reason], **extra},
    )


@transaction.atomic
def card_suspend(*, actor, card: Card, reason: str) -> Card:
    grant, before, reason = _card_move(actor=actor, card=card, name="suspend", reason=reason)
    _record_move(actor, card, "suspend", grant, before, reason)
    return card


@transaction.atomic
def card_resume(*, actor, card: Card, reason: str = "") -> Card:
    grant, before, reason = _card_move(actor=actor, card=card, name="resume", reason=reason)
    _record_move(actor, card, "resume", grant, before, reason)
    return card


@transaction.atomic
def card_cancel(*, actor, card: Card, reason: str) -> Card:
    grant, before, reason = _card_move(actor=actor, card=card, name="cancel", reason=reason)
    _record_move(actor, card, "cancel", grant, before, reason)
    return card


@transaction.atomic
def card_reissue(*, actor, card: Card, reason: str) -> Card:
    """Report a card lost (挂失) and issue its holder a new number at once: the old card
    becomes ``lost`` and points to the new one; a suspended card's new card stays suspended.
    The new card belongs to the holder's current union (they may have moved since)."""
    access.require_at(actor, "perks.cards", card.org_unit, view_perm="perks.view")
    membership = active_membership(card.person)
    if membership is None:
        raise Conflict(f"{card.person.name} 已没有在会会籍，不能补卡；请办理注销")
    if not access.can_at(actor, "perks.cards", membership.org_unit):
        raise Forbidden(
            f"{card.person.name} 的会籍现{membership_where(actor, membership)}，"
            "不在您的办卡范围内，请由该工会办理补卡"
        )
    suspended_for = card.status_reason
    grant, before, reason = _card_move(actor=actor, card=card, name="reissue", reason=reason)
    carried = {}
    if before == Card.Status.SUSPENDED:
        carried = {
            "status": Card.Status.SUSPENDED,
            "status_changed_at": timezone.now(),
            "status_reason": f"原卡 {card.number} 暂停中补发：{suspended_for}"[:REASON_MAX],
        }
    new = new_card(card.person, membership.org_unit, **carried)
    Card.objects.filter(pk=card.pk).update(replaced_by=new)
    card.refresh_from_db()
    _record_move(actor, card, "reissue", grant, before, reason, replaced_by=[None, new.number])
    return new
