"""What a merge of two records of one person (registry.merging) does with nominations: they
go to the record kept, unless both records are live nominees of one campaign."""

from __future__ import annotations

from gonghui.nominations.models import Nomination
from gonghui.nominations.workflow import State
from gonghui.registry.merging import carrier
from gonghui.registry.models import Award
from gonghui.registry.services import awards_follow


def _blockers(*, survivor, loser, actor) -> list[str]:
    """One person, one live nomination a campaign (the database's ``nomination_once``)."""
    live = Nomination.objects.filter(live=True)
    theirs = live.filter(person=survivor).values("campaign_id")
    both = live.filter(person=loser, campaign_id__in=theirs).select_related("campaign")
    return [f"两份档案都被推荐参加“{n.campaign.name}”，请先撤回其中一份推荐" for n in both]


def _honours(nominations) -> list[tuple[int, int]]:
    """The (honour, year) each nomination's campaign confers."""
    return list(nominations.values_list("campaign__honour_id", "campaign__year").distinct())


def _awards(person, pairs) -> list[int]:
    return sorted(
        pk
        for honour, year in pairs
        for pk in Award.objects.filter(person=person, honour_id=honour, year=year).values_list(
            "pk", flat=True
        )
    )


def _carry(*, survivor, loser, actor) -> dict:
    """Every nomination of the loser goes over. The survivor's own awards of the honours
    they are for are noted: a nomination approved after the merge made its award on the
    survivor, and that award (not those) goes back with the nomination on undo."""
    rows = Nomination.objects.filter(person=loser)
    ids = sorted(rows.values_list("pk", flat=True))
    held = _awards(survivor, _honours(rows))
    rows.update(person=survivor)
    return {"ids": ids, "held": held}


def _restore(*, survivor, loser, actor, moved) -> None:
    rows = Nomination.objects.filter(pk__in=moved["ids"])
    rows.update(person=loser)
    approved = _honours(rows.filter(state=State.APPROVED))
    made = set(_awards(survivor, approved)) - set(moved.get("held", []))
    if made:  # approved since the merge: the award follows its nomination
        Award.objects.filter(pk__in=made).update(person=loser)
        awards_follow(loser)


carrier(
    key="nominations",
    label="推荐记录",
    fields=("nominations.Nomination.person",),
    carry=_carry,
    restore=_restore,
    blockers=_blockers,
)
