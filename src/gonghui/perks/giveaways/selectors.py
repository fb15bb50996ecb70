"""Reads of giveaways: staff lists in scope, a giveaway's page with its live counts,
reports; a member's own pages; the published draw.

Selectors read and write nothing: the writes are ``services.py`` (and the claim itself,
``claims.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMinute
from django.utils import timezone

from gonghui.common.errors import NotFound
from gonghui.common.qr import qr_svg
from gonghui.orgs import access
from gonghui.orgs.models import SEGMENT, OrgUnit, path_prefixes
from gonghui.perks import passes
from gonghui.perks.cards.selectors import member_card, member_person
from gonghui.perks.giveaways import draw
from gonghui.perks.models import Card, Claim, Giveaway, Location, Message

GIVEAWAY_SORTS = {
    "opens": "opens_at",
    "-opens": "-opens_at",
    "title": "title",
    "-title": "-title",
    "stock": "stock",
    "-stock": "-stock",
}
DOCUMENT_DOWNLOADS = 5  # anonymous downloads of a draw's whole document, per address a minute
NO_CARD = "会员服务卡已不在有效状态（已注销、暂停或不在本活动范围内）"


def giveaway_list(
    *, actor, status: str = "", q: str = "", sort: str = "", org: OrgUnit | None = None
) -> QuerySet[Giveaway]:
    """Giveaways organised in the actor's member-services scope (and in ``org``'s subtree,
    if given), newest opening first unless ``sort`` says otherwise (``GIVEAWAY_SORTS``)."""
    qs = access.restrict(
        Giveaway.objects.select_related("org_unit", "pickup_location__merchant"),
        actor,
        "perks.view",
    )
    if org is not None:
        qs = qs.filter(access.subtree_q(org, via="org_unit"))
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(item__icontains=q))
    return qs.order_by(GIVEAWAY_SORTS.get(sort, "-opens_at"), "-pk")


def organising_units(actor) -> QuerySet[OrgUnit]:
    """The unions the actor may organise a giveaway at: the city, districts, industries and
    streets in their ``perks.manage`` scope (a grassroots union organises none)."""
    return access.visible_units(actor, "perks.manage").exclude(level=OrgUnit.Level.GRASSROOTS)


def pickup_locations(actor) -> QuerySet[Location]:
    """Shops and venues of the merchants the actor's unions signed (and their subtrees')."""
    return access.restrict(
        Location.objects.select_related("merchant"), actor, "perks.manage", via="merchant__org_unit"
    )


def giveaway_get(*, actor, pk: int) -> Giveaway:
    return access.get_or_404(
        Giveaway.objects.select_related("org_unit", "pickup_location__merchant"),
        actor,
        "perks.view",
        pk=pk,
    )


@dataclass
class GiveawayPage:
    """A giveaway's staff page: the giveaway, its live counts, and whether the actor may
    manage it (``perks.manage`` at the organising union)."""

    giveaway: Giveaway
    counts: dict
    may_manage: bool


def giveaway_page(*, actor, pk: int) -> GiveawayPage:
    giveaway = giveaway_get(actor=actor, pk=pk)
    return GiveawayPage(
        giveaway=giveaway,
        counts=giveaway_counts(giveaway),
        may_manage=access.can_at(actor, "perks.manage", giveaway.org_unit),
    )


def giveaway_counts(giveaway: Giveaway) -> dict:
    """Live counts for the staff page (items, not claims: a claim may hold several), read
    afresh: the stock left is the giveaway's row as it is now, not as ``giveaway`` was
    read."""
    stock, taken = Giveaway.objects.filter(pk=giveaway.pk).values_list("stock", "taken").get()
    by_status = {
        row["status"]: (row["n"], row["items"] or 0)
        for row in giveaway.claims.values("status").annotate(n=Count("id"), items=Sum("quantity"))
    }

    def items(*statuses):
        return sum(by_status.get(s, (0, 0))[1] for s in statuses)

    def people(*statuses):
        return sum(by_status.get(s, (0, 0))[0] for s in statuses)

    return {
        "stock": stock,
        "claimed": items(Claim.Status.WON, Claim.Status.PICKED_UP),
        "picked_up": items(Claim.Status.PICKED_UP),
        "cancelled": items(Claim.Status.CANCELLED),
        "released": items(Claim.Status.RELEASED),
        "remaining": stock - taken,
        "waiting": people(Claim.Status.WAITING),
        "registered": people(Claim.Status.REGISTERED),
        "at": timezone.localtime().strftime("%H:%M:%S"),
    }


def claims_over_time(giveaway: Giveaway) -> list[tuple[str, int]]:
    """Claims (and registrations) per minute since the opening, for the chart."""
    rows = (
        giveaway.claims.annotate(minute=TruncMinute("created_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by("minute")
    )
    return [(timezone.localtime(r["minute"]).strftime("%m-%d %H:%M"), r["n"]) for r in rows]


def uptake_by_district(giveaway: Giveaway) -> list[dict]:
    """Per district (the second level of the tree): claims held, picked up, pickup rate."""
    prefix = Substr("card__org_unit__path", 1, 2 * SEGMENT)
    rows = (
        giveaway.claims.filter(status__in=[*HOLDERS, Claim.Status.RELEASED])
        .annotate(district=prefix)
        .values("district")
        .annotate(
            held=Count("id"),
            picked=Count("id", filter=Q(status=Claim.Status.PICKED_UP)),
        )
        .order_by("district")
    )
    names = dict(
        OrgUnit.objects.filter(path__in=[r["district"] for r in rows]).values_list("path", "name")
    )
    return [
        {
            "district": names.get(r["district"], "（其他）"),
            "held": r["held"],
            "picked": r["picked"],
            "rate": round(100 * r["picked"] / r["held"], 1) if r["held"] else 0.0,
        }
        for r in rows
    ]


HOLDERS = (Claim.Status.WON, Claim.Status.PICKED_UP)


def winners(giveaway: Giveaway) -> QuerySet[Claim]:
    """The venue's list: who holds items, with their codes."""
    return (
        giveaway.claims.filter(status__in=HOLDERS)
        .select_related("person", "card", "card__org_unit")
        .order_by(F("rank").asc(nulls_last=True), "id")
    )


def card_held(giveaway: Giveaway) -> Exists:
    """Whether a claim's member still holds an active card in the giveaway's subtree, as
    the claim needed when it was made (a lost card's replacement counts): to filter or
    annotate the giveaway's claims with (the waitlist's promotion, the pickup)."""
    cards = Card.objects.filter(person=OuterRef("person_id"), status=Card.Status.ACTIVE)
    return Exists(cards.filter(access.subtree_q(giveaway.org_unit, via="org_unit")))


# --- A member's own view -------------------------------------------------------------------


def member_of(user):
    """The member a login belongs to (``Person.user``); NotFound for staff without one."""
    person = member_person(user)
    if person is None:
        raise NotFound("当前账号未关联会员信息")
    return person


def giveaways_for_member(card: Card | None) -> QuerySet[Giveaway]:
    """Published giveaways the member's card can take part in (open, coming, drawn in the
    last month): those organised at the card's union or above it."""
    if card is None:
        return Giveaway.objects.none()
    return (
        Giveaway.objects.filter(org_unit__path__in=path_prefixes(card.org_unit.path))
        .exclude(status=Giveaway.Status.DRAFT)
        .filter(closes_at__gte=timezone.now() - timedelta(days=30))
        .select_related("pickup_location__merchant", "org_unit")
        .order_by("opens_at")
    )


def giveaway_for_member(card: Card | None, pk: int) -> Giveaway:
    giveaway = giveaways_for_member(card).filter(pk=pk).first()
    if giveaway is None:
        raise NotFound()
    return giveaway


def member_claims(person_id: int) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(person_id=person_id)
        .select_related("giveaway__pickup_location__merchant")
        .order_by("-created_at")
    )


def member_claim(person_id: int, pk: int) -> Claim:
    claim = member_claims(person_id).filter(pk=pk).first()
    if claim is None:
        raise NotFound()
    return claim


def member_messages(person_id: int, limit: int = 20) -> list[Message]:
    return list(Message.objects.filter(person_id=person_id).order_by("-created_at")[:limit])


@dataclass
class MemberHome:
    """The member's phone home: their card, the giveaways it can take part in, their
    claims (newest first) and messages."""

    card: Card | None
    giveaways: QuerySet[Giveaway]
    claims: list[Claim]
    messages: list[Message]


def member_home(user) -> MemberHome:
    person = member_of(user)
    card = member_card(person)
    return MemberHome(
        card=card,
        giveaways=giveaways_for_member(card),
        claims=list(member_claims(person.pk)[:20]),
        messages=member_messages(person.pk),
    )


@dataclass
class MemberGiveaway:
    """A giveaway on the member's phone: their claim of it (if any), whether the button may
    be pressed now (published, not closed), and the member pass the claim is sent with
    (``passes``)."""

    giveaway: Giveaway
    mine: Claim | None
    may_press: bool
    member_pass: str


def member_giveaway(user, pk: int) -> MemberGiveaway:
    person = member_of(user)
    giveaway = giveaway_for_member(member_card(person), pk)
    return MemberGiveaway(
        giveaway=giveaway,
        mine=member_claims(person.pk).filter(giveaway=giveaway).first(),
        may_press=giveaway.status == Giveaway.Status.PUBLISHED
        and timezone.now() < giveaway.closes_at,
        member_pass=passes.issue(person.pk),
    )


@dataclass
class MemberClaimPage:
    """One of the member's claims: the pickup code's QR while the item is held, and the
    place on the waitlist while waiting."""

    claim: Claim
    qr: str
    position: int | None


def member_claim_page(user, pk: int) -> MemberClaimPage:
    claim = member_claim(member_of(user).pk, pk)
    holds = claim.status == Claim.Status.WON and claim.code
    return MemberClaimPage(
        claim=claim,
        qr=qr_svg(claim.code) if holds else "",
        position=waitlist_position(claim),
    )


def published_giveaway(pk: int) -> Giveaway:
    """A giveaway the public may see (published or later), for the draw's publication."""
    giveaway = Giveaway.objects.exclude(status=Giveaway.Status.DRAFT).filter(pk=pk).first()
    if giveaway is None:
        raise NotFound()
    return giveaway


def frozen_receipts(giveaway: Giveaway) -> QuerySet[Claim]:
    """The frozen list: every registration but those withdrawn before the freeze."""
    return giveaway.claims.exclude(receipt=None).exclude(
        status=Claim.Status.CANCELLED, closed_at__lt=giveaway.frozen_at
    )


def draw_summary(giveaway: Giveaway, *, head: int = 100) -> dict:
    """The public draw page's figures without reading every registration: the commitments,
    how many registered, the winners and the head of the waitlist (the full document is the
    download, ``draw_document``). ``ranking`` says the waitlist's places are still
    being written (a task right after the draw)."""
    ranked = giveaway.claims.exclude(rank=None).order_by("rank")
    winners = list(ranked.filter(rank__lte=giveaway.stock).values_list("receipt", flat=True))
    waitlist = ranked.filter(rank__gt=giveaway.stock)
    count = frozen_receipts(giveaway).count() if giveaway.frozen_at else None
    waitlist_count = max((count or 0) - len(winners), 0) if giveaway.drawn_at else 0
    return {
        "commitment": giveaway.commitment,
        "receipts_hash": giveaway.receipts_hash,
        "receipt_count": count,
        "seed": giveaway.seed,
        "public_value": giveaway.public_value,
        "winners": winners,
        "waitlist_head": list(waitlist.values_list("receipt", flat=True)[:head]),
        "waitlist_count": waitlist_count,
        "ranking": bool(giveaway.drawn_at)
        and giveaway.claims.filter(status=Claim.Status.REGISTERED).exists(),
    }


def receipt_place(giveaway: Giveaway, receipt: str) -> tuple[str, int] | None:
    """A receipt's place in the draw as drawn: ("winner", n) or ("waitlist", n), ("ranking",
    0) while the waitlist's places are being written; None if the receipt is not in it."""
    row = giveaway.claims.filter(receipt=receipt).values_list("rank", "status").first()
    if row is None:
        return None
    rank, status = row
    if rank is None:
        return ("ranking", 0) if status == Claim.Status.REGISTERED else None
    return ("winner", rank) if rank <= giveaway.stock else ("waitlist", rank - giveaway.stock)


def waitlist_position(claim: Claim) -> int | None:
    """Where a waiting member stands now (1 = next to be given a returned item)."""
    if claim.status != Claim.Status.WAITING:
        return None
    ahead = claim.giveaway.claims.filter(status=Claim.Status.WAITING)
    if claim.rank is not None:
        ahead = ahead.filter(Q(rank__lt=claim.rank))
    else:
        ahead = ahead.filter(rank=None, pk__lt=claim.pk)
    return ahead.count() + 1


def draw_document(giveaway: Giveaway) -> dict:
    """What is published, step by step: the commitment at publication, the receipts and
    their hash at the freeze, the seed and the order at the draw. Receipt numbers only,
    never a member's identity (the shape ``draw.verify`` checks)."""
    document = {
        "giveaway": giveaway.pk,
        "title": giveaway.title,
        "winners_count": giveaway.stock,
        "commitment": giveaway.commitment,
        "public_value_source": giveaway.public_value_source,
    }
    if giveaway.frozen_at:
        receipts = frozen_receipts(giveaway).order_by("receipt")
        document["receipts_hash"] = giveaway.receipts_hash
        document["receipts"] = list(receipts.values_list("receipt", flat=True))
    if giveaway.drawn_at:
        result = draw.draw(
            giveaway.seed, document["receipts"], giveaway.stock, giveaway.public_value
        )
        document |= {
            "seed": giveaway.seed,
            "public_value": giveaway.public_value,
            "winners": result.winners,
            "waitlist": result.waitlist,
        }
    return document
