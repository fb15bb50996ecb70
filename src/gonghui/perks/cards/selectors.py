"""Reads of service cards (服务卡, 小红卡): cards in the actor's scope, one card's page, the
members who may be issued one, a member's own card and what their phone may show of it.

A card's scope is its ``org_unit``: the holder's grassroots union when the card was issued.
Card reads need ``perks.view``, which only union posts hold: a merchant's counter account
sees one card at a time, through the member's QR code (``perks/counter``), never a list."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from gonghui.common.errors import ValidationFailed
from gonghui.common.qr import qr_svg
from gonghui.orgs import access
from gonghui.people import search
from gonghui.people.models import Membership, Person
from gonghui.perks import passes
from gonghui.perks.models import Card, CardUse

LIVE = (Card.Status.ACTIVE, Card.Status.SUSPENDED)
CARD_SORTS = {
    "number": "number",
    "-number": "-number",
    "name": "person__name_sort",
    "-name": "-person__name_sort",
    "issued": "issued_at",
    "-issued": "-issued_at",
    "status": "status",
    "-status": "-status",
    "unit": "org_unit__path",
    "-unit": "-org_unit__path",
}


def active_membership(person: Person) -> Membership | None:
    return (
        Membership.objects.select_related("org_unit")
        .filter(person=person, status=Membership.Status.ACTIVE)
        .first()
    )


def membership_where(actor, membership: Membership) -> str:
    """Where a membership is, for a refusal: its union named only to those who may see
    that union's member services (a union outside their scope is not theirs to learn of)."""
    unit = membership.org_unit
    return f"在“{unit.name}”" if access.can_at(actor, "perks.view", unit) else "在其他工会"


def may_know(actor, person: Person, membership: Membership | None) -> bool:
    """Whether the actor may know this person exists: their record is in the actor's
    people scope, or their membership in the actor's member-services scope."""
    if access.can_at(actor, "people.view", person.org_unit):
        return True
    return membership is not None and access.can_at(actor, "perks.view", membership.org_unit)


def mask_number(number: str) -> str:
    """Only the last four digits of a card number."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


def card_list(*, actor, status: str = "", q: str = "", sort: str = "") -> QuerySet[Card]:
    """Cards in the actor's member-services scope (by the card's union), filtered by status,
    found by card number (digits, any part) or holder name (any part). An unknown status is
    refused (ignoring it would list every status)."""
    qs = access.restrict(Card.objects.select_related("person", "org_unit"), actor, "perks.view")
    if status and status not in Card.Status.values:
        raise ValidationFailed({"status": f"没有这个状态（可选：{'、'.join(Card.Status.values)}）"})
    if status:
        qs = qs.filter(status=status)
    q = unicodedata.normalize("NFKC", q or "").strip()[:60]
    if q:
        digits = re.sub(r"\s", "", q)
        if digits.isdigit():
            qs = qs.filter(number__contains=digits)
        else:
            qs = qs.filter(search.matching_q(q, via="person_id"))
    return qs.order_by(CARD_SORTS.get(sort, "-issued_at"), "-pk")


def card_get(*, actor, pk) -> Card:
    return access.get_or_404(
        Card.objects.select_related("person", "org_unit", "replaced_by"),
        actor,
        "perks.view",
        pk=pk,
    )


def card_history(*, actor, card: Card) -> QuerySet[Card]:
    """The holder's cards in the actor's scope, newest first: replaced and cancelled ones
    stay, with their reasons."""
    return access.restrict(
        Card.objects.filter(person_id=card.person_id).select_related("org_unit", "replaced_by"),
        actor,
        "perks.view",
    ).order_by("-issued_at", "-pk")


def card_uses(*, actor, card: Card) -> QuerySet[CardUse]:
    """Where and when the card was shown (staff of its union only)."""
    if not access.can_at(actor, "perks.view", card.org_unit):
        return CardUse.objects.none()
    return (
        CardUse.objects.filter(card=card)
        .select_related("merchant", "location")
        .order_by("-used_at", "-pk")
    )


@dataclass
class CardPage:
    """A card's page: the card, the holder's cards, its last uses, and whether the actor may
    change its status (``perks.cards`` at its union, while it is live)."""

    card: Card
    history: QuerySet[Card]
    uses: QuerySet[CardUse]
    may_act: bool


def card_page(*, actor, pk) -> CardPage:
    card = card_get(actor=actor, pk=pk)
    may_act = access.can_at(actor, "perks.cards", card.org_unit)
    return CardPage(
        card=card,
        history=card_history(actor=actor, card=card),
        uses=card_uses(actor=actor, card=card)[:20],
        may_act=may_act and card.status in LIVE,
    )


def card_candidates(*, actor, q: str = "") -> QuerySet[Person]:
    """Members the actor may issue a card to: an active membership in their card scope and
    no live card yet."""
    qs = Person.objects.filter(
        access.scope_q(actor, "perks.cards", via="memberships__org_unit"),
        memberships__status=Membership.Status.ACTIVE,
        merged_into__isnull=True,
    ).exclude(cards__status__in=LIVE)
    qs = qs.select_related("org_unit")
    return search.search_people(qs, q) if (q or "").strip() else qs.order_by("name_sort", "pk")


def member_person(user) -> Person | None:
    """The member a login belongs to (``Person.user``), None for staff without one. A record
    merged into another (registry.merging) stands for the record kept."""
    person = getattr(user, "person", None)
    if person is None:
        return None
    return person.merged_into if person.merged_into_id else person


def member_card(person: Person | None) -> Card | None:
    """A member's own live card (active or suspended), if any."""
    if person is None:
        return None
    return Card.objects.filter(person=person, status__in=LIVE).order_by("-issued_at").first()


def card_qr(card: Card | None) -> dict:
    """The QR code a member shows at a merchant's counter (an active card only): a fresh
    code each time (``passes.card_token``: a minute's life, accepted once)."""
    if card is None or card.status != Card.Status.ACTIVE:
        return {"token": None}
    token = passes.card_token(card.pk)
    return {"token": token, "svg": qr_svg(token), "issued_at": timezone.now()}


def member_card_page(user) -> dict:
    """What the member's card page shows: their card (its number grouped as printed on a
    card, all but the last four digits hidden: **** **** **** 1234) and its QR code."""
    person = member_person(user)
    card = member_card(person)
    return {
        "person": person,
        "card": card,
        "masked_number": f"**** **** **** {card.number[-4:]}" if card else "",
        **card_qr(card),
    }


def member_card_qr(user) -> dict:
    """The QR fragment of the member's card page (swapped in place every 30 seconds)."""
    card = member_card(member_person(user))
    return {"card": card, **card_qr(card)}
