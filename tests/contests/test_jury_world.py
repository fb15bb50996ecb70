"""A small contest for the jury and appeals tests, laid down with the models directly: a
Chaoyang programme with one competition, a comprehensive-review stage with three entrants in
one match, two seated experts who marked everyone, and a public vote part (70/30). Its
results are locked by the results feature's own service (``lock_results``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Programme,
    Seat,
    Stage,
    StageEntry,
)
from gonghui.people.models import Trade, Unit
from tests.factories import make_person, make_user

SCHEME = {
    "aspects": [
        {"code": "M1", "name": "实操", "kind": "measurement", "max": "100", "part": "practical"}
    ],
    "weights": {"practical": 70, "public": 30},
    "public": {"max": "100"},
    "tie_chain": [["score", "desc"], ["practical", "desc"]],
}


@dataclass
class Contest:
    programme: Programme
    competition: Competition
    stage: Stage
    match: Match
    entrants: list[Entrant]
    experts: list[Judge]
    employers: list[Unit]
    users: list  # the entrants' accounts


def build_contest(tree, actor, *, org_unit=None, marks=((80, 80), (70, 70), (60, 60))) -> Contest:
    org_unit = org_unit or tree.chaoyang
    now = timezone.now()
    programme = Programme.objects.create(  # one programme a name, edition and union
        name=f"朝阳工匠 2026 · {Programme.objects.count() + 1}",
        year=2026,
        org_unit=org_unit,
        created_by=actor,
    )
    trade = Trade.objects.create(
        code=f"T{uuid.uuid4().hex[:6]}", name=f"钳工{uuid.uuid4().hex[:4]}"
    )
    competition = Competition.objects.create(
        programme=programme,
        org_unit=org_unit,
        trade=trade,
        name="钳工比赛",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
    )
    stage = Stage.objects.create(
        competition=competition,
        order=1,
        kind=Stage.Kind.REVIEW,
        name="综合评审",
        status=Stage.Status.MARKING,
        scheme=SCHEME,
        rule={"kind": "top", "n": 1},
        votes_open_at=now - timedelta(hours=1),
        votes_close_at=now + timedelta(hours=1),
    )
    match = Match.objects.create(stage=stage, code="A")
    employers = [
        Unit.objects.create(name=name, org_unit=org_unit)
        for name in ("北京精工机械有限公司", "北京第一机床厂", "京城汽车维修公司")
    ]
    entrants, users = [], []
    for n, (name, employer) in enumerate(zip(("甲", "乙", "丙"), employers, strict=True), 1):
        person = make_person(tree.cy_grass, name=f"选手{name}")
        user = make_user(f"entrant{n}_{uuid.uuid4().hex[:4]}", None, None)
        person.user = user
        person.save(update_fields=["user"])
        entrant = Entrant.objects.create(
            competition=competition,
            person=person,
            number=n,
            age=30,
            employer=employer,
            route="self",
        )
        StageEntry.objects.create(stage=stage, entrant=entrant, match=match)
        entrants.append(entrant)
        users.append(user)
    experts = []
    for n in range(2):
        judge = Judge.objects.create(programme=programme, kind=Judge.Kind.EXPERT, name=f"专家{n}")
        Seat.objects.create(match=match, judge=judge, position=n + 1)
        experts.append(judge)
    for entrant, values in zip(entrants, marks, strict=True):
        for judge, value in zip(experts, values, strict=True):
            Mark.objects.create(
                stage=stage,
                entrant=entrant,
                judge=judge,
                aspect="M1",
                value=str(value),
                key=uuid.uuid4().hex,
                created_at=now,
            )
    return Contest(programme, competition, stage, match, entrants, experts, employers, users)


def lock_results(contest: Contest, *, actor=None) -> list:
    """The stage's results locked as the chief referee locks them: every score sheet
    locked (``judging.services.sheet_lock``), the public vote closed, then
    ``results.services.results_lock`` (``actor``: the entrants' district staff by
    default)."""
    from gonghui.contests.judging.services import sheet_lock
    from gonghui.contests.results.services import results_lock

    actor = actor or contest.programme.created_by
    stage = contest.stage
    Stage.objects.filter(pk=stage.pk).update(votes_close_at=timezone.now())
    stage.refresh_from_db()
    for entrant in contest.entrants:
        sheet_lock(actor=actor, stage=stage, entrant=entrant)
    results = results_lock(actor=actor, stage=stage)
    stage.refresh_from_db()
    return results
