"""What a merge of two records of one person (registry.merging) does with the contests:
the loser's registrations go to the record kept (their marks, votes on them and results
follow, being the entrant's), unless both records entered one competition."""

from __future__ import annotations

from gonghui.contests.models import Entrant
from gonghui.contests.records import entrant_key
from gonghui.registry.merging import simple_carrier


def _blockers(*, survivor, loser, actor) -> list[str]:
    """One person, one registration a competition (the database's ``entrant_once``)."""
    theirs = Entrant.objects.filter(person=survivor).values("competition_id")
    both = Entrant.objects.filter(person=loser, competition_id__in=theirs).select_related(
        "competition"
    )
    return [
        f"两份档案都报名了“{e.competition.name}”（参赛号 {entrant_key(e.number)}），请先由主办方为其中一份办理退赛"
        for e in both
    ]


simple_carrier(key="entrants", label="竞赛报名", model=Entrant, blockers=_blockers)
