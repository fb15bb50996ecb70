"""What waits in the competitions for a post (工作台): score sheets of stages in marking
for the chief referee to lock, and appeals for the arbitration panel to rule on."""

from __future__ import annotations

from gonghui.common.workbench import Waiting, capped_count
from gonghui.contests.appeals.selectors import appeal_list
from gonghui.contests.models import Appeal, Competition, Sheet, Stage, StageEntry
from gonghui.orgs import access

APP = "工匠竞赛"
SHOWN = 20  # stages or competitions looked at, at most


def waiting(actor) -> list[Waiting]:
    return _sheets(actor) + _appeals(actor)


def _sheets(actor) -> list[Waiting]:
    if not access.can(actor, "contests.referee"):
        return []
    stages = access.restrict(
        Stage.objects.filter(status=Stage.Status.MARKING).select_related("competition"),
        actor,
        "contests.referee",
        via="competition__org_unit",
    ).order_by("pk")[:SHOWN]
    items = []
    for stage in stages:
        unlocked = StageEntry.objects.filter(stage=stage).exclude(
            entrant_id__in=Sheet.objects.filter(stage=stage).values("entrant_id")
        )
        n = capped_count(unlocked)
        if n:
            items.append(
                Waiting(
                    APP,
                    f"{stage.competition.name} · {stage.name}：评分表待锁定",
                    n,
                    "contests:marking",
                    (stage.pk,),
                )
            )
    return items


def _appeals(actor) -> list[Waiting]:
    if not access.can(actor, "contests.arbitrate"):
        return []
    competitions = access.restrict(
        Competition.objects.filter(stages__appeals__status=Appeal.Status.OPEN).distinct(),
        actor,
        "contests.arbitrate",
    ).order_by("pk")[:SHOWN]
    items = []
    for c in competitions:
        n = capped_count(appeal_list(actor, c, status=Appeal.Status.OPEN))
        if n:
            items.append(
                Waiting(
                    APP,
                    f"{c.name}：申诉待仲裁",
                    n,
                    "contests:appeals",
                    (c.pk,),
                    f"status={Appeal.Status.OPEN.value}",
                )
            )
    return items
