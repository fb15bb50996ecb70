"""What a merge of two records of one person (registry.merging) does with nominations: they
go to the record kept, unless both records are live nominees of one campaign."""

from __future__ import annotations

from gonghui.nominations.models import Nomination
from gonghui.registry.merging import simple_carrier


def _blockers(*, survivor, loser, actor) -> list[str]:
    """One person, one live nomination a campaign (the database's ``nomination_once``)."""
    live = Nomination.objects.filter(live=True)
    theirs = live.filter(person=survivor).values("campaign_id")
    both = live.filter(person=loser, campaign_id__in=theirs).select_related("campaign")
    return [f"两份档案都被推荐参加“{n.campaign.name}”，请先撤回其中一份推荐" for n in both]


simple_carrier(key="nominations", label="推荐记录", model=Nomination, blockers=_blockers)
