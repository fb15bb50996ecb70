"""The contests of `gonghui demo` (at 2 trades): a finished 北京大工匠 edition told through
the services (seeds, challenges, an upheld appeal re-scored, public jurors, titles in the
registry, every milestone countersigned by the notary, streams that verify) and a district
contest in progress whose live board shows locked results, with its judge and notary
logins."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.urls import reverse

from gonghui.audit.services import verify_platform
from gonghui.common.demo import DEMO_PASSWORD
from gonghui.contests import demo, scoring
from gonghui.contests.models import (
    Appeal,
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Milestone,
    Programme,
    Recusal,
    RescoreBatch,
    Result,
    Stage,
    Vote,
)
from gonghui.contests.notary.selectors import message
from gonghui.contests.records import entrant_key, juror_key
from gonghui.registry.models import Award, Studio
from tests.demo import demo_built

TRADES = 2


@pytest.fixture(scope="module")
def witness(tmp_path_factory):
    return tmp_path_factory.mktemp("contests-demo") / "audit-heads.jsonl"


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, witness):
    with demo_built(
        django_db_blocker, people=200, contest_trades=TRADES, witness=witness
    ) as printed:
        yield printed


@pytest.fixture(autouse=True)
def _demo_witness(_own_audit_witness, settings, witness):
    """The heads the demo signed are in the module's witness file: check against it."""
    settings.AUDIT_WITNESS = [witness]


@pytest.fixture
def edition(built, db):
    return Programme.objects.get(kind=Programme.Kind.TITLE)


@pytest.fixture
def district(built, db):
    return Competition.objects.get(
        programme__kind=Programme.Kind.CONTEST, org_unit__code=demo.CHAOYANG
    )


def test_the_edition_finished_with_titles_in_the_registry(edition, built):
    competitions = list(edition.competitions.order_by("pk"))
    assert len(competitions) == TRADES
    assert {c.status for c in competitions} == {Competition.Status.FINISHED}
    assert all(c.rules_sha256 and c.rules_locked_at for c in competitions)
    for competition in competitions:
        stages = competition.stages.order_by("order")
        assert [s.status for s in stages] == [Stage.Status.CONFIRMED] * 5
        entrants = Entrant.objects.filter(competition=competition)
        assert 28 <= entrants.count() <= 32
        assert entrants.filter(route=Entrant.Route.UNION).exists()
        assert entrants.filter(route=Entrant.Route.SELF).count() > 20
        assert entrants.filter(status=Entrant.Status.TITLED).count() == 1
        assert entrants.filter(status=Entrant.Status.NOMINEE).count() == 1
    ages = Entrant.objects.filter(competition__programme=edition).values_list("age", flat=True)
    assert min(ages) == 17 and max(ages) == 84
    titled = Award.objects.filter(honour=edition.title_honour, year=edition.year, batch="第5届")
    nominees = Award.objects.filter(honour=edition.nominee_honour, year=edition.year)
    assert titled.count() == TRADES
    assert nominees.filter(batch="第5届").count() == TRADES
    winners = Entrant.objects.filter(competition__programme=edition, status=Entrant.Status.TITLED)
    assert set(titled.values_list("person_id", flat=True)) == {e.person_id for e in winners}
    # Offered to the winners' employers (the training demo, later, accepts the offers).
    assert Studio.objects.filter(
        employer_id__in=[e.employer_id for e in winners],
        status__in=[Studio.Status.OFFERED, Studio.Status.ACTIVE],
    ).exists()
    assert any("工匠选树：称号评定完成" in line for line in built)


def test_seeds_faced_their_challengers(edition):
    for competition in edition.competitions.all():
        seeding = competition.stages.get(kind=Stage.Kind.SEEDING)
        seeds = Result.objects.filter(stage=seeding, superseded_by__isnull=True, advanced=True)
        assert seeds.count() == 3  # 28 over 10 trades; three each at two
        assert set(seeds.values_list("entrant__route", flat=True)) == {Entrant.Route.UNION}
        challenge = competition.stages.get(kind=Stage.Kind.CHALLENGE)
        matches = Match.objects.filter(stage=challenge)
        assert {m.seed_id for m in matches} == set(seeds.values_list("entrant_id", flat=True))
        assert all(m.entries.count() >= 2 for m in matches)
        # Every panel was drawn by commit and reveal.
        drawn = Match.objects.filter(stage__competition=competition)
        assert not drawn.filter(drawn_at__isnull=True).exists()
        assert all(m.draw_commitment and m.draw_seed for m in drawn)


def test_an_upheld_appeal_superseded_results_and_one_was_dismissed(edition):
    appeals = Appeal.objects.filter(stage__competition__programme=edition)
    assert sorted(appeals.values_list("status", flat=True)) == ["dismissed", "upheld"]
    upheld = appeals.get(status=Appeal.Status.UPHELD)
    batch = RescoreBatch.objects.get(appeal=upheld)
    assert batch.status == RescoreBatch.Status.APPLIED
    assert Result.objects.filter(superseded_by=batch).count() == upheld.stage.entries.count()
    rescored = Mark.objects.get(batch=batch)
    assert rescored.replaces is not None and rescored.reason.startswith("仲裁裁决：")
    assert upheld.entrant.person.user is not None  # the appellant's own account


def test_marks_corrections_and_recusals(edition):
    marks = Mark.objects.filter(stage__competition__programme=edition)
    corrected = marks.filter(replaces__isnull=False, batch__isnull=True).get()
    assert corrected.reason == demo.SPREAD_CORRECTED
    first, aspect = corrected.replaces, corrected.aspect
    spread = next(a["spread"] for a in first.stage.scheme["aspects"] if a["code"] == aspect)
    others = marks.filter(stage=first.stage, entrant=first.entrant, aspect=aspect).exclude(
        pk__in=[first.pk, corrected.pk]
    )
    values = [v for v in others.values_list("value", flat=True)]
    assert not scoring.spread_ok([*values, first.value], spread)
    assert scoring.spread_ok([*values, corrected.value], spread)
    recusals = Recusal.objects.filter(judge__programme=edition, judge__kind=Judge.Kind.EXPERT)
    assert recusals.filter(reason=Recusal.Reason.EMPLOYER).exists()
    assert recusals.filter(reason=Recusal.Reason.DECLARED).count() == 1
    experts = Judge.objects.filter(programme=edition, kind=Judge.Kind.EXPERT)
    assert experts.count() >= 15
    entrant_employers = set(
        Entrant.objects.filter(competition__programme=edition).values_list("employer_id", flat=True)
    )
    sharing = experts.filter(employer_id__in=entrant_employers)
    assert sharing.count() == 1
    assert Judge.objects.filter(programme=edition, kind=Judge.Kind.CHIEF).count() == 1
    assert Judge.objects.filter(programme=edition, kind=Judge.Kind.ARBITER).count() >= 2


def test_public_jurors_counted_and_not_and_a_late_vote(edition):
    jurors = Judge.objects.filter(programme=edition, kind=Judge.Kind.PUBLIC)
    assert jurors.count() == 100 and not jurors.filter(seated=False).exists()
    # Identity kept only as a keyed hash, one per person.
    assert len({j.identity_hash for j in jurors} - {""}) == 100
    late = Vote.objects.filter(stage__competition__programme=edition, late=True)
    assert late.count() == 1
    uncounted_total = 0
    for competition in edition.competitions.all():
        review = competition.stages.get(kind=Stage.Kind.REVIEW)
        finalists = [entrant_key(e.entrant.number) for e in review.entries.all()]
        cast = {}
        for vote in Vote.objects.filter(stage=review, late=False).select_related("entrant"):
            cast.setdefault(juror_key(vote.juror_id), {})[entrant_key(vote.entrant.number)] = (
                vote.value
            )
        counted = scoring.counted_jurors(cast, finalists)
        uncounted_total += 100 - len(counted)
        results = Result.objects.filter(stage=review, superseded_by__isnull=True)
        assert all("public" in r.parts for r in results)
    assert uncounted_total == 5  # four skipped an entrant, one voted late


def test_milestones_countersigned_and_the_streams_verify(edition, district):
    for competition in edition.competitions.all():
        milestones = Milestone.objects.filter(competition=competition).select_related(
            "notary", "competition"
        )
        names = "、".join(milestones.values_list("name", flat=True))
        assert "报名截止" in names and "称号评定" in names
        for milestone in milestones:
            assert milestone.countersigned_at is not None
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(milestone.notary.public_key))
            key.verify(bytes.fromhex(milestone.countersignature), message(milestone))
        report = verify_platform(only=competition.stream)
        assert report.ok, report.proof.problems + report.streams[0].problems
    assert verify_platform(only=district.stream).ok


def test_the_district_contest_runs_with_a_live_board(district, client):
    contest, review = district.stages.order_by("order")
    assert district.status == Competition.Status.RUNNING
    assert contest.status == Stage.Status.CONFIRMED and review.status == Stage.Status.MARKING
    assert review.sheets.exists()
    assert review.sheets.count() < review.entries.count()
    assert Entrant.objects.filter(competition=district, person__user__username="huiyuan").exists()
    response = client.get(reverse("contests:board_json", args=[district.pk]))
    assert response.status_code == 200
    board = json.loads(response.content)
    shown = {s["kind"]: s["results"] for s in board["stages"]}
    assert len(shown["contest"]) == contest.entries.count()
    assert [r["place"] for r in shown["contest"]][:3] == [1, 2, 3]
    assert not board["frozen"]


def test_the_judge_login_marks_on_its_stage(district, client):
    review = district.stages.get(kind=Stage.Kind.REVIEW)
    assert client.login(username=demo.JUDGE, password=DEMO_PASSWORD)
    home = client.get(reverse("contests:judge_home"))
    assert home.status_code == 200
    assert reverse("contests:judge_stage", args=[review.pk]) in home.content.decode()
    page = client.get(reverse("contests:judge_stage", args=[review.pk]))
    assert page.status_code == 200
    judge = Judge.objects.get(user__username=demo.JUDGE)
    pending = (
        review.entries.exclude(entrant__sheets__stage=review)
        .exclude(entrant__marks__judge=judge, entrant__marks__stage=review)
        .first()
    )
    assert pending is not None  # something is left for the visitor to mark
    mark = {
        "stage": review.pk,
        "entrant": pending.entrant.number,
        "aspect": "J1",
        "value": "31.5",
        "key": "demo-visitor-0001",
    }
    answer = client.post("/api/v1/contests/marks", mark, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert Mark.objects.filter(stage=review, judge=judge, entrant=pending.entrant).exists()


def test_the_notary_login_sees_its_milestones(edition, client):
    assert client.login(username=demo.NOTARY, password=DEMO_PASSWORD)
    page = client.get(reverse("contests:notary_home"))
    assert page.status_code == 200
    milestone = Milestone.objects.filter(competition__programme=edition).first()
    assert milestone.name in page.content.decode()
    assert [login.username for login in demo.logins()] == [demo.JUDGE, demo.NOTARY]
