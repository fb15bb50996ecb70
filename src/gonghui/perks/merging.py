"""What a merge of two records of one person (registry.merging) does with the member
services: service cards, giveaway claims and in-app messages go to the record kept."""

from __future__ import annotations

from collections import defaultdict

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.perks.models import Card, Claim, Giveaway, Message
from gonghui.registry.merging import carrier, simple_carrier

LIVE_CARDS = (Card.Status.ACTIVE, Card.Status.SUSPENDED)
# A claim that may still change or holds an item: one member, one such claim a giveaway.
OPEN_CLAIMS = (Claim.Status.REGISTERED, Claim.Status.WON, Claim.Status.WAITING)


def _card_blockers(*, survivor, loser, actor) -> list[str]:
    live = Card.objects.filter(person__in=[survivor, loser], status__in=LIVE_CARDS)
    if live.values("person").distinct().count() == 2:
        return [
            f"两份档案都持有在用的服务卡（一人只能持有一张），请先在“服务卡”中注销"
            f"其中一张（本档案 {survivor.pk}、被合并档案 {loser.pk}）"
        ]
    return []


simple_carrier(key="cards", label="服务卡", model=Card, blockers=_card_blockers)
simple_carrier(key="messages", label="会员消息", model=Message)


def _shared(survivor, loser) -> dict[int, list[Claim]]:
    """The loser's claims in giveaways the survivor has a claim in too, by giveaway."""
    mine = Claim.objects.filter(person=survivor).values("giveaway_id")
    shared = defaultdict(list)
    for claim in Claim.objects.filter(person=loser, giveaway_id__in=mine).select_related(
        "giveaway"
    ):
        shared[claim.giveaway_id].append(claim)
    return shared


def _claim_blockers(*, survivor, loser, actor) -> list[str]:
    """One member holds one claim a giveaway (UNIQUE(giveaway, person)). Where both
    records claimed the same giveaway and the loser's claim is still open (registered,
    waiting, or won and not picked up), the merge waits for the giveaway to end."""
    return [
        f"两份档案在普惠活动“{c.giveaway.title}”中各有一条领取记录，被合并档案的一条"
        f"尚未了结（{c.get_status_display()}）：一人一个活动只能有一条，请待该活动结束后再合并"
        for claims in _shared(survivor, loser).values()
        for c in claims
        if c.status in OPEN_CLAIMS
    ]


def _seal_note(actor, moved: dict[int, list[int]], action: Action, person: list[int]) -> None:
    """Claims are sealed into their giveaway's stream with the person who made them: the
    change of hands is written into the same stream, so that a check of the rows against
    the seals finds why a claim's person is no longer the one sealed. Filed at the
    giveaway's union, whose auditors read its stream."""
    where = dict(Giveaway.objects.filter(pk__in=moved).values_list("pk", "org_unit_id"))
    for giveaway_id, ids in sorted(moved.items()):
        record(
            actor=actor,
            action=action,
            stream=Giveaway(pk=giveaway_id).stream,
            object_type="perks.claim",
            object_id=",".join(map(str, ids)),
            org_unit_id=where[giveaway_id],
            changes={"person": person, "claims": [None, ids]},
        )


def _carry_claims(*, survivor, loser, actor) -> dict:
    """The loser's claims go over, but for a giveaway the survivor also claimed: there the
    survivor's claim stands, and the loser's (closed: picked up, cancelled or released)
    stays on the redirect record, listed in the merge's record."""
    kept = sorted(c.pk for claims in _shared(survivor, loser).values() for c in claims)
    rows = Claim.objects.filter(person=loser).exclude(pk__in=kept)
    by_giveaway: dict[int, list[int]] = defaultdict(list)
    for pk, giveaway_id in rows.order_by("pk").values_list("pk", "giveaway_id"):
        by_giveaway[giveaway_id].append(pk)
    ids = sorted(pk for pks in by_giveaway.values() for pk in pks)
    Claim.objects.filter(pk__in=ids).update(person=survivor)
    _seal_note(actor, by_giveaway, Action.REGISTRY_MERGE, [loser.pk, survivor.pk])
    return {"ids": ids, "by_giveaway": {str(k): v for k, v in by_giveaway.items()}, "kept": kept}


def _restore_claims(*, survivor, loser, actor, moved) -> None:
    Claim.objects.filter(pk__in=moved["ids"]).update(person=loser)
    by_giveaway = {int(k): v for k, v in moved.get("by_giveaway", {}).items()}
    _seal_note(actor, by_giveaway, Action.REGISTRY_MERGE_REVERSE, [survivor.pk, loser.pk])


def _claim_notes(moved: dict) -> list[str]:
    if not moved.get("kept"):
        return []
    return [
        f"两份档案在同一普惠活动中各有领取记录：保留本档案的一条，被合并档案已了结的"
        f"{len(moved['kept'])} 条留在原档案（一人一个活动只能有一条）"
    ]


carrier(
    key="claims",
    label="普惠活动领取记录",
    fields=("perks.Claim.person",),
    carry=_carry_claims,
    restore=_restore_claims,
    blockers=_claim_blockers,
    notes=_claim_notes,
)
