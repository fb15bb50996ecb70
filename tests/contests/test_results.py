"""Results from the raw record, end to end through the database (issue #17): the trimmed
mean by panel size with a judge absent, the spread rule, 70/30 weighting with public votes,
the tie chain and shared places; locking, the advancing preview and its confirmation (once,
and only the rule's list), a frozen board, titles into the registry with the studio offer
(once), standardised titles across trades, the talent database, and scope (another
district's staff find nothing: 404)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.contests.models import (
    Appeal,
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Programme,
    Result,
    Seat,
    Sheet,
    Stage,
    StageEntry,
    Vote,
)
from gonghui.contests.results import selectors, services
from gonghui.contests.scoring import shown
from gonghui.people.models import Person, Trade, Unit
from gonghui.registry.models import Award, Studio
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

# --- Building a competition with the models (the other features' services come later) ------


@dataclass
class Contest:
    programme: Programme
    competition: Competition
    stages: list[Stage] = field(default_factory=list)
    entrants: dict[str, Entrant] = field(default_factory=dict)  # "001" -> Entrant
    judges: list[Judge] = field(default_factory=list)
    jurors: list[Judge] = field(default_factory=list)
    employers: dict[str, Unit] = field(default_factory=dict)


def make_programme(tree, users, honours, *, org_unit=None, compare_trades=False, name="朝阳工匠"):
    honour, nominee = (
        (honours["chaoyang-craftsman"], honours["chaoyang-expert"])
        if name == "朝阳工匠"
        else (honours["beijing-master-craftsman"], honours["beijing-master-craftsman-nominee"])
    )
    return Programme.objects.create(
        name=name,
        edition=3,
        year=2025,
        org_unit=org_unit or tree.chaoyang,
        compare_trades=compare_trades,
        title_honour=honour,
        nominee_honour=nominee,
        created_by=users.admin,
    )


def build_contest(
    tree,
    users,
    honours,
    *,
    people=("张建国", "李明", "王芳"),
    programme=None,
    trade="钳工",
    titles=1,
    nominee_awards=0,
    org_unit=None,
) -> Contest:
    """A competition of ``programme`` (朝阳工匠 at Chaoyang by default) in ``trade`` with one
    entrant per name, each from their own employer (in Chaoyang's grassroots union), and a
    pool of five expert judges from other employers plus three public jurors."""
    programme = programme or make_programme(tree, users, honours, org_unit=org_unit)
    now = timezone.now()
    competition = Competition.objects.create(
        programme=programme,
        org_unit=programme.org_unit,
        trade=Trade.objects.get_or_create(name=trade, defaults={"code": f"T-{trade}"})[0],
        name=f"{programme.name} · {trade}",
        status=Competition.Status.RUNNING,
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
        titles=titles,
        nominee_awards=nominee_awards,
    )
    contest = Contest(programme, competition)
    judges = list(Judge.objects.filter(programme=programme, kind=Judge.Kind.EXPERT))
    if not judges:
        for n in range(1, 6):
            employer = Unit.objects.create(name=f"裁判单位{n}", org_unit=tree.city)
            judges.append(
                Judge.objects.create(
                    programme=programme, kind=Judge.Kind.EXPERT, name=f"裁判{n}", employer=employer
                )
            )
        for n in range(1, 4):
            Judge.objects.create(
                programme=programme, kind=Judge.Kind.PUBLIC, name=f"大众评委{n}", seated=True
            )
    contest.judges = judges
    contest.jurors = list(Judge.objects.filter(programme=programme, kind=Judge.Kind.PUBLIC))
    for number, name in enumerate(people, start=1):
        employer = Unit.objects.create(name=f"{name}的单位{trade}", org_unit=tree.cy_grass)
        person = Person.objects.filter(name=name).first() or make_person(
            tree.cy_grass,
            name=name,
            employer=employer,
            trade=competition.trade,
            skill_level="2",
        )
        key = f"{number:03d}"
        contest.employers[key] = employer
        contest.entrants[key] = Entrant.objects.create(
            competition=competition,
            person=person,
            number=number,
            age=40,
            employer=employer,
            route=Entrant.Route.SELF,
        )
    return contest


def add_stage(contest: Contest, *, kind, scheme, rule, name="", appeal_minutes=0) -> Stage:
    order = len(contest.stages) + 1
    stage = Stage.objects.create(
        competition=contest.competition,
        order=order,
        kind=kind,
        name=name or dict(Stage.Kind.choices)[kind],
        status=Stage.Status.MARKING,
        scheme=scheme,
        rule=rule,
        appeal_minutes=appeal_minutes,
    )
    contest.stages.append(stage)
    return stage


def seat(stage: Stage, contest: Contest, code: str, keys, *, absent=(), judges=5) -> Match:
    """A match ``code`` holding ``keys``, its panel the first ``judges`` of the pool (those
    at positions in ``absent`` marked absent)."""
    match = Match.objects.create(stage=stage, code=code, panel_size=judges)
    for position, judge in enumerate(contest.judges[:judges], start=1):
        Seat.objects.create(match=match, judge=judge, position=position)
    for key in keys:
        StageEntry.objects.create(stage=stage, entrant=contest.entrants[key], match=match)
    Seat.objects.filter(match=match, position__in=absent).update(absent=True)
    return match


def mark(stage, contest, key, aspect, values, *, replaces=None, reason=""):
    """Marks of the first judges of the pool on ``aspect`` of entrant ``key`` (None: that
    judge gave none)."""
    made = []
    for judge, value in zip(contest.judges, values, strict=False):
        if value is None:
            continue
        made.append(
            Mark.objects.create(
                stage=stage,
                entrant=contest.entrants[key],
                judge=judge,
                aspect=aspect,
                value=str(value),
                replaces=replaces,
                reason=reason,
                key=uuid.uuid4().hex,
                created_at=timezone.now(),
            )
        )
    return made


def vote(stage, contest, juror: int, key: str, value, *, late=False):
    return Vote.objects.create(
        stage=stage,
        juror=contest.jurors[juror],
        entrant=contest.entrants[key],
        value=str(value),
        late=late,
        key=uuid.uuid4().hex,
        created_at=timezone.now(),
    )


def lock_sheets(stage, contest, users, keys=None):
    for key in keys or [e.entrant.number for e in stage.entries.select_related("entrant")]:
        key = key if isinstance(key, str) else f"{key:03d}"
        Sheet.objects.create(
            stage=stage,
            entrant=contest.entrants[key],
            locked_at=timezone.now(),
            locked_by=users.admin,
        )


PRACTICAL = {
    "aspects": [
        {"code": "M1", "name": "尺寸精度", "kind": "measurement", "max": "40"},
        {
            "code": "J1",
            "name": "工艺规范",
            "kind": "judgement",
            "max": "60",
            "trim": {"5": 1, "7": 2},
            "spread": "20",
        },
    ],
    "tie_chain": [["score", "desc"], ["J1", "desc"]],
}


def selection(tree, users, honours, **kwargs) -> Contest:
    """The hand-worked selection round: three entrants, rule top 2.

    * 001, match A (5 judges): M1 36; J1 50 52 55 58 59 → drop 50 and 59 → 55; score 91;
    * 002, match B (judge 5 absent, 4 judges): M1 38; J1 40 54 56 60 → the table trims
      nothing below 5 judges → 210 / 4 = 52.5; score 90.5;
    * 003, match A: M1 35; J1 55 56 56 57 60 → drop 55 and 60 → 169 / 3 = 56.333…;
      score 91.333…
    Places: 003, 001, 002; 003 and 001 advance."""
    contest = build_contest(tree, users, honours, **kwargs)
    stage = add_stage(
        contest, kind=Stage.Kind.SELECTION, scheme=PRACTICAL, rule={"kind": "top", "n": 2}
    )
    seat(stage, contest, "A", ["001", "003"])
    seat(stage, contest, "B", ["002"], absent=[5])
    mark(stage, contest, "001", "M1", [36])
    mark(stage, contest, "001", "J1", [50, 52, 55, 58, 59])
    mark(stage, contest, "002", "M1", [38])
    mark(stage, contest, "002", "J1", [40, 54, 56, 60])
    mark(stage, contest, "003", "M1", [35])
    mark(stage, contest, "003", "J1", [55, 56, 56, 57, 60])
    lock_sheets(stage, contest, users)
    return contest


def changes(event) -> dict:
    return json.loads(event.body)["changes"]


def events_of(competition, action):
    return AuditEvent.objects.filter(stream=competition.stream, action=action)


# --- Locking a stage's results -------------------------------------------------------------------


def test_trimmed_mean_by_panel_size_with_a_judge_absent(tree, users, honours):
    contest = selection(tree, users, honours)
    stage = contest.stages[0]

    results = services.results_lock(actor=users.cy, stage=stage)

    by = {r.entrant.number: r for r in Result.objects.filter(stage=stage)}
    assert [(r.entrant.number, r.place, r.advanced) for r in results] == [
        (3, 1, True),
        (1, 2, True),
        (2, 3, False),
    ]
    assert by[1].score == "91" and by[1].parts["J1"] == "55" and by[1].parts["judges:J1"] == "5"
    assert by[2].score == "90.5" and by[2].parts["J1"] == "52.5"
    assert by[2].parts["judges:J1"] == "4"  # the absent judge left four marks, untrimmed
    assert shown(Decimal(by[3].parts["J1"])) == Decimal("56.33")
    assert shown(Decimal(by[3].score)) == Decimal("91.33")
    stage.refresh_from_db()
    assert stage.status == Stage.Status.LOCKED and stage.results_at is not None
    assert all(r.revealed_at == r.locked_at for r in by.values())
    (event,) = events_of(contest.competition, "contests.results_lock")
    assert changes(event)["stage"] == [None, stage.pk]
    assert changes(event)["scheme_version"] == [None, 1]
    assert changes(event)["results"][0] is None
    assert [row[0] for row in changes(event)["results"][1]] == ["003", "001", "002"]
    assert changes(event)["results"][1][1] == ["001", "91", 2, True]


def test_locking_again_is_refused(tree, users, honours):
    contest = selection(tree, users, honours)
    services.results_lock(actor=users.cy, stage=contest.stages[0])
    with pytest.raises(Conflict, match="已锁定"):
        services.results_lock(actor=users.cy, stage=contest.stages[0])
    assert Result.objects.count() == 3
    assert events_of(contest.competition, "contests.results_lock").count() == 1


def test_every_sheet_must_be_locked_first(tree, users, honours):
    contest = selection(tree, users, honours)
    stage = contest.stages[0]
    Sheet.objects.filter(stage=stage, entrant=contest.entrants["002"]).delete()

    with pytest.raises(Conflict, match="还有 1 名参赛人的评分表未锁定"):
        services.results_lock(actor=users.cy, stage=stage)

    stage.refresh_from_db()
    assert stage.status == Stage.Status.MARKING and not Result.objects.exists()
    assert not events_of(contest.competition, "contests.results_lock").exists()


def test_the_spread_rule_holds_the_lock_until_a_corrected_mark(tree, users, honours):
    contest = build_contest(tree, users, honours, people=("张建国",))
    scheme = {
        "aspects": [
            {"code": "J1", "name": "工艺规范", "kind": "judgement", "max": "60", "spread": "5"}
        ]
    }
    stage = add_stage(contest, kind=Stage.Kind.CONTEST, scheme=scheme, rule={"kind": "none"})
    seat(stage, contest, "A", ["001"], judges=3)
    marks = mark(stage, contest, "001", "J1", [50, 58, 52])  # 58 − 50 = 8 > 5
    lock_sheets(stage, contest, users)

    with pytest.raises(Conflict, match="相差超过 5 分"):
        services.results_lock(actor=users.cy, stage=stage)
    assert not Result.objects.exists()

    # The judge re-scores: a new mark naming the old one; both are kept.
    Mark.objects.create(
        stage=stage,
        entrant=contest.entrants["001"],
        judge=contest.judges[1],
        aspect="J1",
        value="54",
        replaces=marks[1],
        reason="分差超限，复评",
        key=uuid.uuid4().hex,
        created_at=timezone.now(),
    )
    (result,) = services.results_lock(actor=users.cy, stage=stage)
    assert result.score == "52"  # trimmed mean of 3 judges trims nothing: (50+54+52)/3
    assert Mark.objects.filter(stage=stage).count() == 4


def test_weighting_70_30_with_public_votes_tie_chain_and_shared_places(tree, users, honours):
    """The final: experts' mean 70%, the counted jurors' mean 30%.

    * 001: experts 90, jurors 80, 80 → 63 + 24 = 87;
    * 002: experts 84, jurors 94, 94 → 58.8 + 28.2 = 87: tied with 001 on the score, the
      chain's next key (experts' part) puts 001 first;
    * 003: exactly 002's marks and votes: equal on every key, the two share place 2;
    * 004: experts 70, jurors 70 → 70, place 4 (not 3).
    Juror 3 voted on 001 only (not on every entrant: not counted), and a late vote is kept
    but never counted. Rule top 2: the place shared across the cut takes both."""
    contest = build_contest(tree, users, honours, people=("甲", "乙", "丙", "丁"))
    scheme = {
        "aspects": [
            {"code": "J1", "name": "现场展示", "kind": "judgement", "max": "100", "method": "mean"}
        ],
        "weights": {"practical": 70, "public": 30},
        "public": {"max": "100"},
        "tie_chain": [["score", "desc"], ["practical", "desc"]],
    }
    stage = add_stage(contest, kind=Stage.Kind.FINAL, scheme=scheme, rule={"kind": "top", "n": 2})
    seat(stage, contest, "A", ["001", "002", "003", "004"], judges=3)
    for key, experts, public in [
        ("001", 90, 80),
        ("002", 84, 94),
        ("003", 84, 94),
        ("004", 70, 70),
    ]:
        mark(stage, contest, key, "J1", [experts] * 3)
        vote(stage, contest, 0, key, public)
        vote(stage, contest, 1, key, public)
    vote(stage, contest, 2, "001", 0)  # juror 3 voted on one entrant only: not counted
    lock_sheets(stage, contest, users)
    Vote.objects.create(  # a late vote: kept, refused, never counted
        stage=stage,
        juror=contest.jurors[2],
        entrant=contest.entrants["002"],
        value="0",
        late=True,
        key="late-1",
        created_at=timezone.now(),
    )

    results = services.results_lock(actor=users.cy, stage=stage)

    assert [(r.entrant.number, r.score, r.place, r.advanced) for r in results] == [
        (1, "87", 1, True),
        (2, "87", 2, True),
        (3, "87", 2, True),
        (4, "70", 4, False),
    ]
    assert results[0].parts["public"] == "80" and results[1].parts["practical"] == "84"


def test_a_frozen_competition_keeps_results_unrevealed(tree, users, honours):
    contest = selection(tree, users, honours)
    Competition.objects.filter(pk=contest.competition.pk).update(frozen_at=timezone.now())

    services.results_lock(actor=users.cy, stage=contest.stages[0])

    assert Result.objects.filter(revealed_at__isnull=True).count() == 3
    # Confirming would show who is out: refused until the reveal.
    with pytest.raises(Conflict, match="封榜"):
        services.advance_confirm(
            actor=users.cy,
            stage=contest.stages[0],
            advancing=[contest.entrants["003"].pk, contest.entrants["001"].pk],
        )


def test_only_the_chief_referees_scope_locks(tree, users, honours):
    contest = selection(tree, users, honours)
    with pytest.raises(NotFound):
        services.results_lock(actor=users.hd, stage=contest.stages[0])
    grassroots = make_user("cy_grass2", tree.chaoyang, "grassroots_staff")
    with pytest.raises(Forbidden):  # may see the contest, is no chief referee
        services.results_lock(actor=grassroots, stage=contest.stages[0])
    assert not Result.objects.exists()


# --- Advancing -----------------------------------------------------------------------------------


def with_final(tree, users, honours, **kwargs) -> Contest:
    contest = selection(tree, users, honours, **kwargs)
    add_stage(
        contest,
        kind=Stage.Kind.FINAL,
        scheme=PRACTICAL,
        rule={"kind": "none"},
        name="终极挑战赛",
    )
    services.results_lock(actor=users.cy, stage=contest.stages[0])
    return contest


def test_the_preview_shows_who_advances_by_the_rule(tree, users, honours):
    contest = with_final(tree, users, honours)
    preview = selectors.stage_page(actor=users.cy, pk=contest.stages[0].pk).preview
    assert [(row.key, row.place, row.advanced) for row in preview.rows] == [
        ("003", 1, True),
        ("001", 2, True),
        ("002", 3, False),
    ]
    assert preview.advancing == [contest.entrants["003"].pk, contest.entrants["001"].pk]
    assert preview.blockers == [] and not preview.confirmed


def test_confirming_twice_is_one_event_and_prepares_the_final(tree, users, honours):
    contest = with_final(tree, users, honours)
    stage, final = contest.stages
    going = [contest.entrants["001"].pk, contest.entrants["003"].pk]  # any order

    services.advance_confirm(actor=users.cy, stage=stage, advancing=going)
    services.advance_confirm(actor=users.cy, stage=stage, advancing=going)

    (event,) = events_of(contest.competition, "contests.advance_confirm")
    assert changes(event)["stage"] == [None, stage.pk]
    assert changes(event)["advancing"] == [None, ["003", "001"]]
    stage.refresh_from_db()
    assert stage.status == Stage.Status.CONFIRMED and stage.confirmed_by == users.cy
    statuses = dict(Entrant.objects.values_list("number", "status"))
    assert statuses == {1: "competing", 2: "out", 3: "competing"}
    entries = StageEntry.objects.filter(stage=final).select_related("match", "entrant")
    assert sorted(e.entrant.number for e in entries) == [1, 3]
    assert {e.match.code for e in entries} == {"A"}


def test_a_list_that_contradicts_the_rule_is_refused_and_nothing_written(tree, users, honours):
    contest = with_final(tree, users, honours)
    stage = contest.stages[0]
    wrong = [contest.entrants["002"].pk, contest.entrants["003"].pk]

    with pytest.raises(ValidationFailed) as refused:
        services.advance_confirm(actor=users.cy, stage=stage, advancing=wrong)

    assert refused.value.fields == {"advancing": "晋级名单与规则计算结果不符"}
    stage.refresh_from_db()
    assert stage.status == Stage.Status.LOCKED
    assert set(Entrant.objects.values_list("status", flat=True)) == {"registered"}
    assert not StageEntry.objects.filter(stage=contest.stages[1]).exists()
    assert not events_of(contest.competition, "contests.advance_confirm").exists()
    with pytest.raises(ValidationFailed, match="advancing"):
        services.advance_confirm(actor=users.cy, stage=stage, advancing=["x"])


def test_a_seeding_stage_makes_seeds(tree, users, honours):
    contest = build_contest(tree, users, honours, people=("甲", "乙"))
    stage = add_stage(
        contest, kind=Stage.Kind.SEEDING, scheme=PRACTICAL, rule={"kind": "top", "n": 1}
    )
    seat(stage, contest, "A", ["001", "002"])
    for key, j in [("001", 50), ("002", 40)]:
        mark(stage, contest, key, "M1", [30])
        mark(stage, contest, key, "J1", [j] * 5)
    lock_sheets(stage, contest, users)
    services.results_lock(actor=users.cy, stage=stage)
    services.advance_confirm(actor=users.cy, stage=stage, advancing=[contest.entrants["001"].pk])
    assert dict(Entrant.objects.values_list("number", "status")) == {1: "seed", 2: "out"}


def test_confirming_waits_for_the_lock_the_appeal_window_and_open_appeals(tree, users, honours):
    contest = selection(tree, users, honours)
    stage = contest.stages[0]
    going = [contest.entrants["003"].pk, contest.entrants["001"].pk]
    with pytest.raises(Conflict, match="尚未锁定"):
        services.advance_confirm(actor=users.cy, stage=stage, advancing=going)
    Stage.objects.filter(pk=stage.pk).update(appeal_minutes=120)
    stage.refresh_from_db()
    services.results_lock(actor=users.cy, stage=stage)
    with pytest.raises(Conflict, match="申诉时限未过"):
        services.advance_confirm(actor=users.cy, stage=stage, advancing=going)
    appeal = Appeal.objects.create(
        stage=stage,
        entrant=contest.entrants["002"],
        text="J1 评分有误",
        digest="d" * 64,
        filed_at=timezone.now(),
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=121)):
        with pytest.raises(Conflict, match="待仲裁的申诉"):
            services.advance_confirm(actor=users.cy, stage=stage, advancing=going)
        Appeal.objects.filter(pk=appeal.pk).update(status=Appeal.Status.DISMISSED)
        services.advance_confirm(actor=users.cy, stage=stage, advancing=going)
    stage.refresh_from_db()
    assert stage.status == Stage.Status.CONFIRMED


# --- Titles --------------------------------------------------------------------------------------


def finished(tree, users, honours, **kwargs) -> Contest:
    """A one-round district contest, locked and confirmed: 003, 001, 002."""
    contest = selection(tree, users, honours, **kwargs)
    stage = contest.stages[0]
    services.results_lock(actor=users.cy, stage=stage)
    services.advance_confirm(
        actor=users.cy,
        stage=stage,
        advancing=[contest.entrants["003"].pk, contest.entrants["001"].pk],
    )
    return contest


def test_titles_become_registry_awards_with_a_studio_offer_once(tree, users, honours):
    contest = finished(tree, users, honours, titles=1, nominee_awards=1)
    winner, nominee = contest.entrants["003"], contest.entrants["001"]
    # 001's employer has a studio already: no second offer (none is due anyway: a nominee).
    Studio.objects.create(
        name="老工作室", employer=contest.employers["002"], org_unit=tree.cy_grass
    )

    awarded = services.titles_award(actor=users.cy, competition=contest.competition)
    again = services.titles_award(actor=users.cy, competition=contest.competition)

    assert again is None
    assert awarded["titles"] == [None, ["003"]] and awarded["nominees"] == [None, ["001"]]
    title = Award.objects.get(person=winner.person)
    assert title.honour == honours["chaoyang-craftsman"] and title.year == 2025
    assert title.batch == "第3届"
    assert Award.objects.get(person=nominee.person).honour == honours["chaoyang-expert"]
    assert Award.objects.count() == 2
    studio = Studio.objects.get(employer=contest.employers["003"])
    assert studio.status == "offered" and studio.leader == winner.person
    assert studio.grant_fen_per_year == 10_000_000 and studio.grant_years == 3
    assert studio.source == "第3届朝阳工匠 · 钳工"
    assert Studio.objects.count() == 2
    statuses = dict(Entrant.objects.values_list("number", "status"))
    assert statuses == {1: "nominee", 2: "out", 3: "titled"}
    assert events_of(contest.competition, "contests.titles_award").count() == 1
    contest.competition.refresh_from_db()
    assert contest.competition.status == Competition.Status.FINISHED


def test_a_winners_employer_with_a_studio_gets_no_second_offer(tree, users, honours):
    contest = finished(tree, users, honours)
    Studio.objects.create(name="已有", employer=contest.employers["003"], org_unit=tree.cy_grass)
    services.titles_award(actor=users.cy, competition=contest.competition)
    assert Studio.objects.filter(employer=contest.employers["003"]).count() == 1


def test_titles_wait_for_the_last_stage_and_need_the_honours_level(tree, users, honours):
    contest = selection(tree, users, honours)
    with pytest.raises(Conflict, match="确认晋级名单后方可评定称号"):
        services.titles_award(actor=users.cy, competition=contest.competition)

    city = finished(
        tree,
        users,
        honours,
        programme=make_programme(tree, users, honours, name="北京大工匠"),
        trade="汽车装调工",
    )
    # Chaoyang's staff organise it but cannot confer a city honour: refused, nothing written.
    with pytest.raises(Forbidden, match="北京大工匠"):
        services.titles_award(actor=users.cy, competition=city.competition)
    assert not Award.objects.exists() and not Studio.objects.exists()
    assert set(Entrant.objects.values_list("status", flat=True)) <= {
        "competing",
        "out",
        "registered",
    }
    # The city's staff can.
    services.titles_award(actor=users.admin, competition=city.competition)
    assert Award.objects.get().honour == honours["beijing-master-craftsman"]


def two_trades(tree, users, honours, *, titles=(2, 1)) -> tuple[Contest, Contest]:
    """A programme comparing trades: 钳工 (the hand-worked selection, confirmed) and 车工
    (80, 70, 60, confirmed), with ``titles`` places each."""
    programme = make_programme(tree, users, honours, compare_trades=True)
    first = finished(tree, users, honours, programme=programme, titles=titles[0])
    second = build_contest(
        tree,
        users,
        honours,
        programme=programme,
        trade="车工",
        people=("赵", "钱", "孙"),
        titles=titles[1],
    )
    stage = add_stage(
        second, kind=Stage.Kind.CONTEST, scheme=PRACTICAL, rule={"kind": "top", "n": 1}
    )
    seat(stage, second, "A", ["001", "002", "003"])
    for key, j in [("001", 40), ("002", 30), ("003", 20)]:
        mark(stage, second, key, "M1", [40])
        mark(stage, second, key, "J1", [j] * 5)
    lock_sheets(stage, second, users)
    services.results_lock(actor=users.cy, stage=stage)
    services.advance_confirm(actor=users.cy, stage=stage, advancing=[second.entrants["001"].pk])
    return first, second


def test_titles_across_trades_rank_standardised_scores(tree, users, honours):
    """Two trades, three titles over both (2 + 1). 钳工 scored 91.33, 91, 90.5 and 车工 80,
    70, 60: on raw scores 钳工 would take all three. Standardised within each trade
    (T = 50 + 10·z, σ of the trade's scores): 钳工 61.36, 51.62, 37.02; 车工 62.25, 50,
    37.75. The top three T scores: 车工 001, 钳工 003, 钳工 001."""
    first, second = two_trades(tree, users, honours)
    programme = first.programme

    with pytest.raises(Conflict, match="项目层面"):
        services.titles_award(actor=users.cy, competition=first.competition)
    awarded = services.programme_titles_award(actor=users.cy, programme=programme)
    assert services.programme_titles_award(actor=users.cy, programme=programme) is None

    assert awarded[first.competition.pk]["titles"] == [None, ["003", "001"]]
    assert awarded[second.competition.pk]["titles"] == [None, ["001"]]
    ranks = awarded[first.competition.pk]["standardised"][1]
    assert [(row[0], shown(Decimal(row[1])), row[2]) for row in ranks] == [
        ("003", Decimal("61.36"), 2),
        ("001", Decimal("51.62"), 3),
        ("002", Decimal("37.02"), 6),
    ]
    assert awarded[second.competition.pk]["standardised"][1][0][:1] == ["001"]
    assert Award.objects.filter(honour=honours["chaoyang-craftsman"]).count() == 3
    assert events_of(first.competition, "contests.titles_award").count() == 1
    assert events_of(second.competition, "contests.titles_award").count() == 1
    with pytest.raises(NotFound):
        services.programme_titles_award(actor=users.hd, programme=programme)


# --- Pages and API -------------------------------------------------------------------------------


def test_the_stage_page_shows_true_results_and_locks_and_confirms(client, tree, users, honours):
    contest = with_final(tree, users, honours)
    stage = contest.stages[0]
    client.force_login(users.cy)

    page = client.get(f"/contests/stages/{stage.pk}/results/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "张建国" in text and "91.33" in text and "（4 名裁判）" in text
    assert "确认晋级名单" in text
    wrong = client.post(
        f"/contests/stages/{stage.pk}/advance/", {"advancing": [contest.entrants["002"].pk]}
    )
    assert wrong.status_code == 302
    assert "晋级名单与规则计算结果不符" in client.get(wrong.url).content.decode()
    done = client.post(
        f"/contests/stages/{stage.pk}/advance/",
        {"advancing": [contest.entrants["003"].pk, contest.entrants["001"].pk]},
    )
    assert done.status_code == 302
    stage.refresh_from_db()
    assert stage.status == Stage.Status.CONFIRMED


def test_the_stage_page_previews_before_the_lock_and_the_button_locks(client, tree, users, honours):
    contest = selection(tree, users, honours)
    stage = contest.stages[0]
    client.force_login(users.cy)
    text = client.get(f"/contests/stages/{stage.pk}/results/").content.decode()
    assert "下表为按现有评分计算的预览" in text and "91.33" in text
    response = client.post(f"/contests/stages/{stage.pk}/results/lock/")
    assert response.status_code == 302 and Result.objects.count() == 3


def test_the_titles_page_awards(client, tree, users, honours):
    contest = finished(tree, users, honours)
    client.force_login(users.cy)
    url = f"/contests/c/{contest.competition.pk}/titles/"
    assert "评定称号与提名奖" in client.get(url).content.decode()
    assert client.post(url + "award/").status_code == 302
    text = client.get(url).content.decode()
    assert "已评定" in text and "王芳工匠创新工作室" in text and "每年 100,000.00元，3 年" in text
    assert Award.objects.count() == 1


def test_another_districts_staff_find_nothing(client, tree, users, honours):
    contest = finished(tree, users, honours)
    stage = contest.stages[0]
    client.force_login(users.hd)
    for url in [
        f"/contests/stages/{stage.pk}/results/",
        f"/contests/c/{contest.competition.pk}/titles/",
        f"/api/v1/contests/stages/{stage.pk}/results",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/contests/stages/{stage.pk}/results/lock/",
        f"/contests/stages/{stage.pk}/advance/",
        f"/contests/c/{contest.competition.pk}/titles/award/",
        f"/contests/p/{contest.programme.pk}/titles/award/",
        f"/api/v1/contests/stages/{stage.pk}/results/lock",
        f"/api/v1/contests/competitions/{contest.competition.pk}/titles",
    ]:
        assert client.post(url).status_code == 404, url
    response = client.post(
        f"/api/v1/contests/stages/{stage.pk}/advance",
        json.dumps({"advancing": []}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Award.objects.exists()
    assert client.get("/api/v1/contests/talent").json()["count"] == 0


def test_the_api_gives_results_and_refuses_a_wrong_list_by_field(client, tree, users, honours):
    contest = with_final(tree, users, honours)
    stage = contest.stages[0]
    client.force_login(users.cy)

    body = client.get(f"/api/v1/contests/stages/{stage.pk}/results").json()

    assert [(r["entrant"], r["place"], r["advanced"]) for r in body["results"]] == [
        ("003", 1, True),
        ("001", 2, True),
        ("002", 3, False),
    ]
    assert body["results"][2]["parts"]["judges:J1"] == "4"
    assert body["results"][0]["score_shown"] == "91.33" and body["locked"]
    wrong = client.post(
        f"/api/v1/contests/stages/{stage.pk}/advance",
        json.dumps({"advancing": [contest.entrants["002"].pk]}),
        content_type="application/json",
    )
    assert wrong.status_code == 422
    assert wrong.json()["fields"] == {"advancing": "晋级名单与规则计算结果不符"}
    again = client.post(f"/api/v1/contests/stages/{stage.pk}/results/lock")
    assert again.status_code == 409


# --- The talent database -------------------------------------------------------------------------


def test_talent_lists_entrants_in_scope_with_best_results_and_titles(client, tree, users, honours):
    contest = finished(tree, users, honours)
    services.titles_award(actor=users.cy, competition=contest.competition)
    make_person(tree.cy_grass, name="张无关")  # entered nothing: not in the talent database

    everyone = list(selectors.talent_list(actor=users.cy))
    rows = {r.person.name: r for r in selectors.talent_rows(everyone)}

    assert set(rows) == {"张建国", "李明", "王芳"}
    assert rows["王芳"].best == "朝阳工匠 · 钳工 · 挑战者选拔赛 第1名"
    assert rows["王芳"].titles == ["第3届朝阳工匠（钳工）称号"] and rows["李明"].titles == []
    assert rows["王芳"].trades == ["钳工"]
    assert [p.name for p in selectors.talent_list(actor=users.cy, query="wf")] == ["王芳"]
    assert [p.name for p in selectors.talent_list(actor=users.cy, query="张")] == ["张建国"]
    assert [p.name for p in selectors.talent_list(actor=users.cy, title="titled")] == ["王芳"]
    assert [p.name for p in selectors.talent_list(actor=users.cy, sort="best")][0] == "王芳"
    assert len(selectors.talent_list(actor=users.cy, level="2")) == 3
    assert not selectors.talent_list(actor=users.cy, level="1")
    assert not selectors.talent_list(actor=users.hd)  # another district sees nothing
    assert not selectors.talent_list(actor=users.hd, query="王芳")


def test_talent_hides_results_a_freeze_holds_back(tree, users, honours):
    contest = selection(tree, users, honours)
    Competition.objects.filter(pk=contest.competition.pk).update(frozen_at=timezone.now())
    services.results_lock(actor=users.cy, stage=contest.stages[0])
    rows = selectors.talent_rows(selectors.talent_list(actor=users.cy))
    assert {r.best for r in rows} == {""}


def test_talent_page_and_api(client, tree, users, honours):
    finished(tree, users, honours)
    client.force_login(users.cy)
    page = client.get("/contests/talent/?q=王芳&sort=best")
    assert page.status_code == 200 and "王芳" in page.content.decode()
    assert "李明" not in page.content.decode()
    bad = client.get("/contests/talent/?level=99")
    assert bad.status_code == 200 and "没有符合条件的记录" in bad.content.decode()  # lists none

    body = client.get("/api/v1/contests/talent?title=&level=2&sort=-name").json()
    assert [item["name"] for item in body["items"]] == ["张建国", "王芳", "李明"]
    assert body["items"][0]["best"].endswith("第2名") and body["count"] == 3
    refused = client.get("/api/v1/contests/talent?level=grand")
    assert refused.status_code == 422 and list(refused.json()["fields"]) == ["level"]
    client.force_login(users.hd)
    assert client.get("/api/v1/contests/talent?q=王芳").json()["items"] == []
    assert "没有符合条件的记录" in client.get("/contests/talent/?q=王芳").content.decode()


# --- Review fixes (issue #17 review of 7a6ddb1) ------------------------------------------------


def test_a_lock_under_a_freeze_opens_no_appeal_window_until_the_reveal(tree, users, honours):
    """``results_at`` is when the results became public: not at a frozen lock (the appeal
    window would run out before anyone saw them), at the reveal (the board sets it)."""
    contest = selection(tree, users, honours)
    stage = contest.stages[0]
    Stage.objects.filter(pk=stage.pk).update(appeal_minutes=120)
    Competition.objects.filter(pk=contest.competition.pk).update(frozen_at=timezone.now())
    stage.refresh_from_db()

    services.results_lock(actor=users.cy, stage=stage)

    stage.refresh_from_db()
    assert stage.status == Stage.Status.LOCKED and stage.results_at is None
    assert selectors.appeal_window_ends(stage) is None
    # Revealed (as the board's unfreeze does: results, then the stage's results_at).
    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        Result.objects.filter(stage=stage).update(revealed_at=timezone.now())
        assert selectors.advance_blockers(stage, now=timezone.now()) == [
            "本赛段成绩尚未公布，申诉时限尚未起算，不能确认晋级"
        ]
        Stage.objects.filter(pk=stage.pk).update(results_at=timezone.now())
        stage.refresh_from_db()
        assert selectors.appeal_window_ends(stage) == stage.results_at + timedelta(minutes=120)
        assert "申诉时限未过" in selectors.advance_blockers(stage, now=timezone.now())[0]


def test_no_lock_while_the_public_vote_is_open(tree, users, honours):
    contest = selection(tree, users, honours)
    stage = contest.stages[0]
    closes = timezone.now() + timedelta(minutes=30)
    Stage.objects.filter(pk=stage.pk).update(votes_close_at=closes)
    stage.refresh_from_db()

    with pytest.raises(Conflict, match="大众评委投票尚未截止"):
        services.results_lock(actor=users.cy, stage=stage)

    stage.refresh_from_db()
    assert stage.status == Stage.Status.MARKING and not Result.objects.exists()
    assert not events_of(contest.competition, "contests.results_lock").exists()
    with time_machine.travel(closes):
        assert len(services.results_lock(actor=users.cy, stage=stage)) == 3


def test_a_withdrawn_entrant_stays_withdrawn_and_goes_no_further(tree, users, honours):
    """001 withdrew after the selection was marked (places: 003, 001, 002; top 2): 001 is
    not made out nor competing, and the final holds 003 only."""
    contest = with_final(tree, users, honours)
    stage, final = contest.stages
    Entrant.objects.filter(pk=contest.entrants["001"].pk).update(status=Entrant.Status.WITHDRAWN)

    services.advance_confirm(
        actor=users.cy,
        stage=stage,
        advancing=[contest.entrants["003"].pk, contest.entrants["001"].pk],
    )

    statuses = dict(Entrant.objects.values_list("number", "status"))
    assert statuses == {1: "withdrawn", 2: "out", 3: "competing"}
    entries = StageEntry.objects.filter(stage=final)
    assert [e.entrant.number for e in entries] == [3]


def test_a_withdrawn_seed_is_not_made_a_seed(tree, users, honours):
    contest = build_contest(tree, users, honours, people=("甲", "乙"))
    stage = add_stage(
        contest, kind=Stage.Kind.SEEDING, scheme=PRACTICAL, rule={"kind": "top", "n": 1}
    )
    seat(stage, contest, "A", ["001", "002"])
    for key, j in [("001", 50), ("002", 40)]:
        mark(stage, contest, key, "M1", [30])
        mark(stage, contest, key, "J1", [j] * 5)
    lock_sheets(stage, contest, users)
    services.results_lock(actor=users.cy, stage=stage)
    Entrant.objects.filter(pk=contest.entrants["001"].pk).update(status=Entrant.Status.WITHDRAWN)
    services.advance_confirm(actor=users.cy, stage=stage, advancing=[contest.entrants["001"].pk])
    assert dict(Entrant.objects.values_list("number", "status")) == {1: "withdrawn", 2: "out"}


def test_the_studio_offer_is_the_registrys_audited_write(tree, users, honours):
    from gonghui.registry.services import studio_offer

    contest = finished(tree, users, honours)
    services.titles_award(actor=users.cy, competition=contest.competition)

    studio = Studio.objects.get(employer=contest.employers["003"])
    (event,) = AuditEvent.objects.filter(action="registry.studio_offer")
    assert event.object_id == str(studio.pk)
    assert changes(event)["grant_fen_per_year"] == [None, 10_000_000]
    assert changes(event)["leader"] == [None, contest.entrants["003"].person.pk]
    offer = {
        "employer": contest.employers["002"],
        "leader": contest.entrants["002"].person,
        "org_unit": tree.cy_grass,
        "source": "第3届朝阳工匠 · 钳工",
        "grant_fen_per_year": 10_000_000,
        "grant_years": 3,
    }
    with pytest.raises(NotFound):  # another district's staff
        studio_offer(actor=users.hd, **offer)
    with pytest.raises(ValidationFailed) as refused:
        studio_offer(actor=users.cy, **offer | {"grant_fen_per_year": -1, "grant_years": 99})
    assert set(refused.value.fields) == {"grant_fen_per_year", "grant_years"}
    assert Studio.objects.count() == 1
    # An employer with a studio offered (or active) gets no second offer.
    assert studio_offer(actor=users.cy, **offer | {"employer": contest.employers["003"]}) is None
    assert Studio.objects.count() == 1
    assert AuditEvent.objects.filter(action="registry.studio_offer").count() == 1
