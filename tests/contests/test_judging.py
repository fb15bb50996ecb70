"""Judging: matches, the panel draw with recusal, marks (immutable, idempotent, offline-safe),
absences, score-sheet locks; the judge's phone page and the chief referee's pages; the
database's own refusals; another district's staff find nothing."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.contests import panels
from gonghui.contests.judging import services
from gonghui.contests.judging.services import (
    draw_commit,
    mark_correct,
    mark_submit,
    match_create,
    panel_draw,
    recusals_by_employer,
    seat_absent,
    seat_add,
    sheet_lock,
    stage_start,
)
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Programme,
    Recusal,
    Seat,
    Sheet,
    Stage,
    StageEntry,
)
from gonghui.people.models import Trade, Unit
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEME = {
    "aspects": [
        {"code": "M1", "name": "尺寸精度", "kind": "measurement", "max": "40"},
        {
            "code": "J1",
            "name": "工艺规范",
            "kind": "judgement",
            "max": "30",
            "spread": "5",
            "min_judges": 3,
            "trim": {"5": 1},
            "descriptors": "优：操作规范、工具摆放整齐；良：……",
        },
    ],
    "tie_chain": [["score", "desc"]],
}


@dataclass
class Contest:
    """A Chaoyang programme with one competition, a stage, four entrants from three
    employers, seven expert judges (two from an entrant's employer) and a chief referee."""

    programme: Programme
    competition: Competition
    stage: Stage
    employers: list
    entrants: list
    experts: list
    chief: Judge


def key() -> str:
    return str(uuid.uuid4())


def build_contest(tree, staff, *, experts=7, tag="") -> Contest:
    trade, _ = Trade.objects.get_or_create(name="钳工" + tag, defaults={"code": "JG" + tag})
    programme = Programme.objects.create(
        name=f"朝阳工匠 2026{tag}", year=2026, org_unit=tree.chaoyang, created_by=staff
    )
    competition = Competition.objects.create(
        programme=programme,
        org_unit=tree.chaoyang,
        trade=trade,
        name="钳工比武",
        registration_opens_at=datetime(2026, 3, 1, 9, tzinfo=SHANGHAI),
        registration_closes_at=datetime(2026, 3, 31, 17, tzinfo=SHANGHAI),
        status=Competition.Status.RUNNING,
    )
    stage = Stage.objects.create(
        competition=competition,
        order=1,
        kind=Stage.Kind.SELECTION,
        name="挑战者选拔赛",
        scheme=SCHEME,
        rule={"kind": "top", "n": 2},
    )
    employers = [
        Unit.objects.create(name=name, org_unit=tree.cy_grass)
        for name in (
            "首钢",
            "北汽",
            "京东方",
            "燕山石化",
            "中建一局",
            "地铁公司",
            "同仁堂",
            "技能中心",
        )
    ]
    entrants = []
    for n, employer in zip([1, 2, 3, 4], [0, 0, 1, 2], strict=True):
        person = make_person(tree.cy_grass, f"选手{n}{tag}")
        entrants.append(
            Entrant.objects.create(
                competition=competition,
                person=person,
                number=n,
                age=30 + n,
                employer=employers[employer],
                route=Entrant.Route.SELF,
            )
        )
    # Experts: two from 首钢 (an entrant's employer), the rest one per other employer.
    homes = [0, 0, 3, 4, 5, 6, 3][:experts]
    judges = [
        Judge.objects.create(
            programme=programme,
            kind=Judge.Kind.EXPERT,
            name=f"裁判{i}",
            user=make_user(f"judge{i}{tag}", None, None),
            employer=employers[home],
        )
        for i, home in enumerate(homes, start=1)
    ]
    chief = Judge.objects.create(
        programme=programme,
        kind=Judge.Kind.CHIEF,
        name="裁判长",
        user=make_user(f"chief{tag}", None, None),
        employer=employers[7],
    )
    return Contest(programme, competition, stage, employers, entrants, judges, chief)


def seated(c: Contest, staff, *, code="A", numbers=(1, 2, 3, 4), size=3, start=True) -> Match:
    """A match of the given entrants with a drawn panel; the stage marking."""
    match = match_create(
        actor=staff, stage=c.stage, code=code, entrants=list(numbers), panel_size=size
    )
    draw_commit(actor=staff, match=match)
    panel_draw(actor=staff, match=match)
    if start:
        stage_start(actor=staff, stage=c.stage)
    return match


def panel_of(match) -> list[Judge]:
    return [s.judge for s in Seat.objects.filter(match=match).select_related("judge__user")]


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def contest(tree, users):
    return build_contest(tree, users.cy)


# --- Matches and the panel draw -----------------------------------------------------------------


def test_a_match_holds_its_entrants_once_per_stage(contest, users):
    match = match_create(
        actor=users.cy, stage=contest.stage, code="A1", entrants=[1, 3], seed=3, panel_size=3
    )
    assert match.seed == contest.entrants[2]
    assert set(
        StageEntry.objects.filter(match=match).values_list("entrant__number", flat=True)
    ) == {1, 3}
    [event] = events("contests.match_create")
    assert json.loads(event.body)["changes"]["entrants"] == [None, ["001", "003"]]
    assert json.loads(event.body)["stream"] == contest.competition.stream

    with pytest.raises(ValidationFailed) as refused:
        match_create(actor=users.cy, stage=contest.stage, code="A2", entrants=[2, 3])
    assert "entrants" in refused.value.fields and "003" in refused.value.fields["entrants"]
    with pytest.raises(ValidationFailed) as refused:
        match_create(actor=users.cy, stage=contest.stage, code="A3", entrants=[2, 4], seed=1)
    assert "seed" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        match_create(actor=users.cy, stage=contest.stage, code="A4", entrants=[2, 99])
    assert "099" in refused.value.fields["entrants"]
    assert Match.objects.count() == 1 and StageEntry.objects.count() == 2
    assert len(events("contests.match_create")) == 1


def test_recusal_by_employer_is_made_once(contest, users):
    made = recusals_by_employer(actor=users.cy, competition=contest.competition)
    # 裁判1 and 裁判2 work at 首钢 with entrants 001 and 002.
    pairs = {(r.judge.name, r.entrant.number) for r in made}
    assert pairs == {("裁判1", 1), ("裁判1", 2), ("裁判2", 1), ("裁判2", 2)}
    assert len(events("contests.recusal")) == 4
    assert json.loads(events("contests.recusal")[0].body)["changes"]["reason"] == [None, "employer"]
    assert recusals_by_employer(actor=users.cy, competition=contest.competition) == []
    assert Recusal.objects.count() == 4 and len(events("contests.recusal")) == 4


def test_the_draw_is_committed_then_revealed_and_anyone_reruns_it(contest, users):
    Recusal.objects.create(
        judge=contest.experts[2], entrant=contest.entrants[3], reason=Recusal.Reason.DECLARED
    )
    match = match_create(
        actor=users.cy, stage=contest.stage, code="A", entrants=[1, 2, 3, 4], panel_size=3
    )
    committed = draw_commit(actor=users.cy, match=match)
    assert len(committed.draw_commitment) == 64 and committed.draw_seed == ""
    assert committed.draw_seed_sealed and "draw_seed" not in json.dumps(
        json.loads(events("contests.draw_commit")[0].body)["changes"]
    )
    with pytest.raises(Conflict):
        draw_commit(actor=users.cy, match=match)

    seats = panel_draw(actor=users.cy, match=match)

    [event] = events("contests.panel_draw")
    c = {k: v[1] for k, v in json.loads(event.body)["changes"].items()}
    assert panels.commitment(c["seed"]) == c["commitment"] == committed.draw_commitment
    rerun = panels.draw_panel(
        seed=c["seed"],
        match=c["match"],
        pool=c["pool"],
        size=c["size"],
        entrant_employers=c["entrant_employers"],
        declared=c["declared"],
    )
    assert rerun == c["panel"] == [f"j{s.judge_id}" for s in seats]
    assert [s.position for s in seats] == [1, 2, 3]
    # The employer's judges (首钢: 裁判1, 裁判2) and the declared one (裁判3) never sit.
    names = {s.judge.name for s in Seat.objects.filter(match=match).select_related("judge")}
    assert not names & {"裁判1", "裁判2", "裁判3"}
    # One judge per employer (裁判3 and 裁判7 both work at 燕山石化).
    employers = [
        s.judge.employer_id for s in Seat.objects.filter(match=match).select_related("judge")
    ]
    assert len(set(employers)) == len(employers)
    assert c["declared"] == [f"j{contest.experts[2].pk}"]
    assert sorted(c["entrant_employers"]) == sorted(
        f"u{contest.employers[i].pk}" for i in (0, 1, 2)
    )
    with pytest.raises(Conflict):
        panel_draw(actor=users.cy, match=match)


def test_a_pool_too_small_is_refused_and_nothing_written(contest, users):
    match = match_create(
        actor=users.cy, stage=contest.stage, code="A", entrants=[1, 2, 3, 4], panel_size=5
    )
    draw_commit(actor=users.cy, match=match)
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        panel_draw(actor=users.cy, match=match)
    assert "不足 5 人" in refused.value.message
    match.refresh_from_db()
    assert match.drawn_at is None and match.draw_seed == ""
    assert not Seat.objects.exists() and AuditEvent.objects.count() == before


def test_the_chief_referee_is_seated_by_hand_unless_in_conflict(contest, users):
    match = seated(contest, users.cy, start=False)
    seat = seat_add(actor=users.cy, match=match, judge=contest.chief)
    assert seat.position == 4 and len(events("contests.seat_add")) == 1
    # 裁判1 works at 首钢 with entrant 001.
    with pytest.raises(ValidationFailed) as refused:
        seat_add(actor=users.cy, match=match, judge=contest.experts[0])
    assert "同一工作单位" in refused.value.fields["judge"]
    # A judge of an employer already on the panel (whichever the draw seated).
    other = Judge.objects.create(
        programme=contest.programme,
        kind=Judge.Kind.EXPERT,
        name="裁判8",
        user=make_user("judge8", None, None),
        employer=panel_of(match)[0].employer,
    )
    with pytest.raises(ValidationFailed) as refused:
        seat_add(actor=users.cy, match=match, judge=other)
    assert "同一工作单位的裁判" in refused.value.fields["judge"]
    assert Seat.objects.filter(match=match).count() == 4


# --- Marks ----------------------------------------------------------------------------------------


def test_a_seated_judge_marks_and_the_same_key_is_stored_once(contest, users):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    k = key()
    first = mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="M1", value="38.50", key=k
    )
    again = mark_submit(
        actor=judge.user, stage=contest.stage.pk, entrant=1, aspect="M1", value="38.5", key=k
    )
    assert not first.duplicate and again.duplicate and again.mark.pk == first.mark.pk
    assert first.mark.value == "38.5"
    assert Mark.objects.count() == 1
    [event] = events("contests.mark")
    assert json.loads(event.body)["changes"] == {
        "stage": [None, contest.stage.pk],
        "entrant": [None, "001"],
        "judge": [None, f"j{judge.pk}"],
        "aspect": [None, "M1"],
        "value": [None, "38.5"],
        "replaces": [None, None],
        "reason": [None, ""],
        "batch": [None, None],
    }
    with pytest.raises(Conflict):
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect="M1", value="37", key=k
        )
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect="M1", value="37", key=key()
        )
    assert "更正" in refused.value.fields["aspect"]
    assert Mark.objects.count() == 1 and len(events("contests.mark")) == 1


@pytest.mark.parametrize(
    "aspect, value, field",
    [
        ("M1", "40.5", "value"),
        ("M1", "-1", "value"),
        ("M1", "abc", "value"),
        ("M1", "1.0001", "value"),
        ("X9", "10", "aspect"),
    ],
)
def test_bad_marks_are_refused_naming_the_field(contest, users, aspect, value, field):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect=aspect, value=value, key=key()
        )
    assert field in refused.value.fields
    assert not Mark.objects.exists() and not events("contests.mark")


def test_no_mark_before_marking_starts(contest, users):
    match = seated(contest, users.cy, start=False)
    judge = panel_of(match)[0]
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect="M1", value="30", key=key()
        )
    assert "stage" in refused.value.fields and not Mark.objects.exists()


def test_a_recused_judge_is_refused_by_the_service_and_by_the_database(contest, users):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    Recusal.objects.create(judge=judge, entrant=contest.entrants[1], reason=Recusal.Reason.DECLARED)
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=2, aspect="M1", value="30", key=key()
        )
    assert "回避" in refused.value.fields["entrant"]
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Mark.objects.create(
            stage=contest.stage,
            entrant=contest.entrants[1],
            judge=judge,
            aspect="M1",
            value="30",
            key=key(),
            created_at=timezone.now(),
        )
    assert not Mark.objects.exists() and not events("contests.mark")


def test_the_database_refusal_is_said_as_the_check_says_it(contest, users, monkeypatch):
    """The triggers are the backstop: a check skipped still ends in the same refusal."""
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    Recusal.objects.create(judge=judge, entrant=contest.entrants[1], reason=Recusal.Reason.DECLARED)
    real = services._entry

    def unchecked(stage, judge, entrant, aspect):
        return {"entrant_id": contest.entrants[1].pk, "entrant__number": 2, "marked": False}

    monkeypatch.setattr(services, "_entry", unchecked)
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=2, aspect="M1", value="30", key=key()
        )
    assert "回避" in refused.value.fields["entrant"]
    outsider = next(j for j in contest.experts if j not in panel_of(match))
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=outsider.user, stage=contest.stage, entrant=2, aspect="M1", value="30", key=key()
        )
    assert refused.value.fields["entrant"] == services.NOT_SEATED
    monkeypatch.setattr(services, "_entry", real)
    assert not Mark.objects.exists() and not events("contests.mark")


def test_an_unseated_or_absent_judge_is_refused(contest, users):
    match = seated(contest, users.cy)
    panel = panel_of(match)
    outsider = next(j for j in contest.experts if j not in panel and j.name != "裁判1")
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=outsider.user, stage=contest.stage, entrant=3, aspect="M1", value="30", key=key()
        )
    assert refused.value.fields["entrant"] == services.NOT_SEATED
    seat = Seat.objects.get(match=match, judge=panel[1])
    seat_absent(actor=users.cy, seat=seat, reason="急病未到场")
    seat_absent(actor=users.cy, seat=seat, reason="急病未到场")  # twice: nothing more
    assert len(events("contests.seat_absent")) == 1
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=panel[1].user, stage=contest.stage, entrant=3, aspect="M1", value="30", key=key()
        )
    assert refused.value.fields["entrant"] == services.ABSENT
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Mark.objects.create(
            stage=contest.stage,
            entrant=contest.entrants[2],
            judge=panel[1],
            aspect="M1",
            value="30",
            key=key(),
            created_at=timezone.now(),
        )
    # A staff member with no judge row is no judge here.
    with pytest.raises(NotFound):
        mark_submit(
            actor=users.cy, stage=contest.stage, entrant=3, aspect="M1", value="30", key=key()
        )
    assert not Mark.objects.exists()


def test_a_judge_cannot_mark_an_entrant_outside_their_matches(contest, users, tree):
    match_a = seated(contest, users.cy, code="A", numbers=(3, 4), start=False)
    match_b = match_create(
        actor=users.cy, stage=contest.stage, code="B", entrants=[1, 2], panel_size=2
    )
    draw_commit(actor=users.cy, match=match_b)
    panel_draw(actor=users.cy, match=match_b)
    stage_start(actor=users.cy, stage=contest.stage)
    only_a = next(j for j in panel_of(match_a) if j not in panel_of(match_b))
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=only_a.user, stage=contest.stage, entrant=1, aspect="M1", value="30", key=key()
        )
    assert refused.value.fields["entrant"] == services.NOT_SEATED
    assert not Mark.objects.exists()


def test_marks_can_never_be_updated_or_deleted(contest, users):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    mark = mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="M1", value="30", key=key()
    ).mark
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Mark.objects.filter(pk=mark.pk).update(value="40")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Mark.objects.filter(pk=mark.pk).delete()
    mark.refresh_from_db()
    assert mark.value == "30"


def test_a_correction_keeps_both_marks(contest, users):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    first = mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="12", key=key()
    ).mark
    with pytest.raises(ValidationFailed) as refused:
        mark_correct(actor=judge.user, mark=first, value="25", reason=" ", key=key())
    assert "reason" in refused.value.fields
    other = panel_of(match)[1]
    with pytest.raises(NotFound):
        mark_correct(actor=other.user, mark=first, value="25", reason="看错", key=key())
    k = key()
    fixed = mark_correct(actor=judge.user, mark=first.pk, value="25", reason="误按", key=k)
    assert mark_correct(actor=judge.user, mark=first.pk, value="25", reason="误按", key=k).duplicate
    assert fixed.mark.replaces_id == first.pk and fixed.mark.reason == "误按"
    assert Mark.objects.count() == 2
    assert json.loads(events("contests.mark")[-1].body)["changes"]["replaces"] == [None, first.pk]
    with pytest.raises(Conflict):
        mark_correct(actor=judge.user, mark=first, value="26", reason="再改", key=key())
    assert Mark.objects.count() == 2 and len(events("contests.mark")) == 2


# --- Score sheets ---------------------------------------------------------------------------------


def mark_all(c, match, entrant, values, m1="35"):
    """Every judge of the panel marks J1 with ``values`` (in panel order); the first M1."""
    panel = panel_of(match)
    mark_submit(
        actor=panel[0].user, stage=c.stage, entrant=entrant, aspect="M1", value=m1, key=key()
    )
    return [
        mark_submit(
            actor=j.user, stage=c.stage, entrant=entrant, aspect="J1", value=v, key=key()
        ).mark
        for j, v in zip(panel, values, strict=False)
    ]


def test_the_spread_rule_blocks_the_lock_until_rescored(contest, users):
    match = seated(contest, users.cy)
    marks = mark_all(contest, match, 1, ["20", "22"])
    with pytest.raises(Conflict) as refused:
        sheet_lock(actor=users.cy, stage=contest.stage, entrant=1)
    assert "尚缺" in refused.value.message
    panel = panel_of(match)
    marks.append(
        mark_submit(
            actor=panel[2].user, stage=contest.stage, entrant=1, aspect="J1", value="28", key=key()
        ).mark
    )
    with pytest.raises(Conflict) as refused:
        sheet_lock(actor=users.cy, stage=contest.stage, entrant=1)
    assert "工艺规范裁判评分相差超过 5 分，需重新评分" in refused.value.message
    assert not Sheet.objects.exists()

    mark_correct(actor=panel[2].user, mark=marks[2], value="24", reason="复议后重新评分", key=key())
    sheet = sheet_lock(actor=users.cy, stage=contest.stage, entrant=1)
    assert sheet_lock(actor=users.cy, stage=contest.stage, entrant=1).pk == sheet.pk
    assert len(events("contests.sheet_lock")) == 1
    assert json.loads(events("contests.sheet_lock")[0].body)["changes"]["entrant"] == [None, "001"]

    # After the lock a mark or a correction is refused.
    with pytest.raises(ValidationFailed) as refused:
        mark_correct(actor=panel[1].user, mark=marks[1], value="23", reason="再看", key=key())
    assert refused.value.fields["entrant"] == services.SHEET_LOCKED
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=panel[1].user, stage=contest.stage, entrant=1, aspect="M1", value="1", key=key()
        )
    assert refused.value.fields["entrant"] == services.SHEET_LOCKED


def test_an_absent_judge_is_not_waited_for(contest, users):
    match = seated(contest, users.cy)
    panel = panel_of(match)
    seat_add(actor=users.cy, match=match, judge=contest.chief)
    seat_absent(
        actor=users.cy, seat=Seat.objects.get(match=match, judge=contest.chief), reason="主持仲裁"
    )
    mark_all(contest, match, 2, ["20", "22", "21"])
    assert sheet_lock(actor=users.cy, stage=contest.stage, entrant=2)
    assert len(panel) == 3


def test_only_the_organisers_referee_acts(contest, users):
    for outsider in (users.hd, users.cy_grass):  # another district; a union below
        with pytest.raises(NotFound):
            match_create(actor=outsider, stage=contest.stage, code="A", entrants=[1])
        with pytest.raises(NotFound):
            recusals_by_employer(actor=outsider, competition=contest.competition)
    assert not Match.objects.exists() and not Recusal.objects.exists()


# --- Pages and API --------------------------------------------------------------------------------


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_marks_api_records_once_and_names_the_field(client, contest, users):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    client.force_login(judge.user)
    body = {"stage": contest.stage.pk, "entrant": 1, "aspect": "M1", "value": "36", "key": key()}
    first = post_json(client, "/api/v1/contests/marks", body)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "recorded"
    again = post_json(client, "/api/v1/contests/marks", body)
    assert again.status_code == 200 and again.json() == {
        "id": first.json()["id"],
        "status": "duplicate",
    }
    bad = post_json(client, "/api/v1/contests/marks", body | {"value": "41", "key": key()})
    assert bad.status_code == 422 and "value" in bad.json()["fields"]
    number = post_json(client, "/api/v1/contests/marks", body | {"value": 36, "key": key()})
    assert number.status_code == 422 and "value" in number.json()["fields"]
    assert Mark.objects.count() == 1 and len(events("contests.mark")) == 1

    fixed = post_json(
        client,
        f"/api/v1/contests/marks/{first.json()['id']}/correct",
        {"value": "37", "reason": "看错刻度", "key": key()},
    )
    assert fixed.status_code == 201 and fixed.json()["status"] == "recorded"

    page = client.get(f"/api/v1/contests/judge/stages/{contest.stage.pk}")
    assert page.status_code == 200
    data = page.json()
    assert [a["code"] for a in data["aspects"]] == ["M1", "J1"]
    one = next(e for e in data["entrants"] if e["entrant"] == 1)
    assert one["marks"]["M1"]["value"] == "37" and one["marks"]["M1"]["corrections"] == 1


def test_the_marks_api_needs_the_csrf_token_of_the_session(contest, users):
    from django.test import Client

    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(judge.user)
    body = {"stage": contest.stage.pk, "entrant": 1, "aspect": "M1", "value": "36", "key": key()}
    assert post_json(browser, "/api/v1/contests/marks", body).status_code == 403
    page = browser.get(f"/judge/stages/{contest.stage.pk}/")
    token = page.context["csrf_token"]
    sent = browser.post(
        "/api/v1/contests/marks",
        json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=str(token),
    )
    assert sent.status_code == 201, sent.content


def test_the_judge_pages_show_their_matches(client, contest, users):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    mark_submit(
        actor=judge.user, stage=contest.stage, entrant=2, aspect="M1", value="31", key=key()
    )
    client.force_login(judge.user)
    home = client.get("/judge/")
    assert home.status_code == 200 and "挑战者选拔赛" in home.content.decode()
    page = client.get(f"/judge/stages/{contest.stage.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "尺寸精度" in text and "满分 40" in text and "contests/judge.js" in text
    assert "选手" not in text  # marking is blind: numbers only
    # Another judge of the programme who sits on no match of the stage: 404.
    outsider = next(j for j in contest.experts if j not in panel_of(match))
    client.force_login(outsider.user)
    assert client.get(f"/judge/stages/{contest.stage.pk}/").status_code == 404
    assert client.get(f"/api/v1/contests/judge/stages/{contest.stage.pk}").status_code == 404


def test_staff_pages_work_for_the_organiser(client, contest, users):
    client.force_login(users.cy)
    new = client.post(
        f"/contests/stages/{contest.stage.pk}/matches/new/",
        {"code": "A", "entrants": "1, 2，3 4", "seed": "", "panel_size": "3"},
    )
    assert new.status_code == 302, new.content.decode()
    match = Match.objects.get()
    assert client.post(f"/contests/matches/{match.pk}/commit/").status_code == 302
    assert client.post(f"/contests/matches/{match.pk}/draw/").status_code == 302
    page = client.get(f"/contests/matches/{match.pk}/")
    match.refresh_from_db()
    assert match.draw_seed and match.draw_seed in page.content.decode()
    assert client.post(f"/contests/stages/{contest.stage.pk}/start/").status_code == 302
    contest.stage.refresh_from_db()
    assert contest.stage.status == "marking"
    grid = client.get(f"/contests/stages/{contest.stage.pk}/marking/")
    assert grid.status_code == 200 and "001" in grid.content.decode()
    refused = client.post(f"/contests/stages/{contest.stage.pk}/sheets/1/lock/", follow=True)
    assert "评分未完成" in refused.content.decode()
    seat = Seat.objects.filter(match=match).first()
    client.post(f"/contests/seats/{seat.pk}/absent/", {"reason": "未到场"})
    seat.refresh_from_db()
    assert seat.absent


def test_a_bad_match_form_says_what_is_wrong_next_to_the_field(client, contest, users):
    client.force_login(users.cy)
    page = client.post(
        f"/contests/stages/{contest.stage.pk}/matches/new/",
        {"code": "A", "entrants": "1, 9", "panel_size": "3"},
    )
    assert page.status_code == 200
    assert "本竞赛没有参赛号 009" in page.context["form"].errors["entrants"][0]
    assert not Match.objects.exists()


def test_another_districts_staff_find_nothing(client, contest, users):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    mark = mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="M1", value="30", key=key()
    ).mark
    seat = Seat.objects.filter(match=match).first()
    client.force_login(users.hd)
    for url in [
        f"/contests/stages/{contest.stage.pk}/marking/",
        f"/contests/matches/{match.pk}/",
        f"/contests/stages/{contest.stage.pk}/matches/new/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/contests/matches/{match.pk}/commit/",
        f"/contests/matches/{match.pk}/draw/",
        f"/contests/matches/{match.pk}/seats/",
        f"/contests/seats/{seat.pk}/absent/",
        f"/contests/stages/{contest.stage.pk}/start/",
        f"/contests/stages/{contest.stage.pk}/recusals/",
        f"/contests/stages/{contest.stage.pk}/sheets/1/lock/",
    ]:
        assert client.post(url, {"reason": "x", "judge": contest.chief.pk}).status_code == 404, url
    assert client.get(f"/api/v1/contests/judge/stages/{contest.stage.pk}").status_code == 404
    body = {"stage": contest.stage.pk, "entrant": 1, "aspect": "M1", "value": "36", "key": key()}
    assert post_json(client, "/api/v1/contests/marks", body).status_code == 404
    fixed = post_json(
        client,
        f"/api/v1/contests/marks/{mark.pk}/correct",
        {"value": "3", "reason": "x", "key": key()},
    )
    assert fixed.status_code == 404
    assert not Sheet.objects.exists() and Mark.objects.count() == 1
    assert not Seat.objects.filter(absent=True).exists()


# --- For tests/audit/test_every_write.py ------------------------------------------------------------


def world_for_scenarios(w) -> SimpleNamespace:
    """A contest for the write scenarios (w: that test's world)."""
    return SimpleNamespace(c=build_contest(w.tree, w.users.cy), staff=w.users.cy)


def test_a_mark_costs_a_few_queries(contest, users, django_assert_max_num_queries):
    """The benchmark's path (12 experts marking while 100 jurors vote): one read of the key,
    the stage, the judge, the entrant's row lock, then one read of everything the checks
    need (after the lock: see test_judging_race.py), the insert and the event."""
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    user = judge.user
    mark_submit(actor=user, stage=contest.stage.pk, entrant=1, aspect="M1", value="30", key=key())
    with django_assert_max_num_queries(11):
        mark_submit(
            actor=user, stage=contest.stage.pk, entrant=2, aspect="M1", value="31", key=key()
        )


def test_the_same_key_sent_twice_at_once_ends_as_a_duplicate(contest, users, monkeypatch):
    """Two sends of one queued mark at once (a retry while the first was on its way): the
    second did not see the key at first, then finds the first's mark stored."""
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    k = key()
    first = mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="20", key=k
    )
    real, calls = services._again, []

    def late(actor, key, same):
        calls.append(key)
        return None if len(calls) == 1 else real(actor, key, same)

    monkeypatch.setattr(services, "_again", late)
    again = mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="20", key=k
    )
    assert again.duplicate and again.mark.pk == first.mark.pk
    # ... and through the database's unique key when the checks let it through.
    monkeypatch.setattr(
        services,
        "_entry",
        lambda *a: {"entrant_id": contest.entrants[0].pk, "entrant__number": 1, "marked": False},
    )
    calls.clear()
    third = mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="20", key=k
    )
    assert third.duplicate and len(calls) == 2
    assert Mark.objects.count() == 1 and len(events("contests.mark")) == 1


# --- Review fixes (issue #17 review of 7a6ddb1) ------------------------------------------------


def test_one_first_mark_per_cell_is_the_databases_rule_too(contest, users, monkeypatch):
    """The backstop of the "already marked" check: two devices racing past it still leave
    one first mark (the second is refused as the check says it)."""
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    mark_submit(
        actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="20", key=key()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Mark.objects.create(
            stage=contest.stage,
            entrant=contest.entrants[0],
            judge=judge,
            aspect="J1",
            value="21",
            key=key(),
            created_at=timezone.now(),
        )
    real = services._entry
    monkeypatch.setattr(
        services, "_entry", lambda *a: real(*a) | {"marked": False}
    )  # the check passed on a stale read
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="21", key=key()
        )
    assert refused.value.fields["aspect"] == services.ALREADY_MARKED
    assert Mark.objects.count() == 1 and len(events("contests.mark")) == 1


def test_withdrawn_or_eliminated_entrants_are_not_put_in_a_match(contest, users):
    Entrant.objects.filter(pk=contest.entrants[1].pk).update(status=Entrant.Status.WITHDRAWN)
    Entrant.objects.filter(pk=contest.entrants[2].pk).update(status=Entrant.Status.OUT)
    with pytest.raises(ValidationFailed) as refused:
        match_create(actor=users.cy, stage=contest.stage, code="A", entrants=[1, 2, 3])
    said = refused.value.fields["entrants"]
    assert "002（已退赛）" in said and "003（已止步）" in said and "001" not in said
    assert not Match.objects.exists() and not StageEntry.objects.exists()
    assert not events("contests.match_create")


def test_no_hand_seat_between_the_commitment_and_the_draw(contest, users):
    match = match_create(
        actor=users.cy, stage=contest.stage, code="A", entrants=[1, 2, 3, 4], panel_size=3
    )
    draw_commit(actor=users.cy, match=match)
    with pytest.raises(Conflict, match="请先抽签"):
        seat_add(actor=users.cy, match=match, judge=contest.chief)
    assert not Seat.objects.exists() and not events("contests.seat_add")
    panel_draw(actor=users.cy, match=match)
    assert seat_add(actor=users.cy, match=match, judge=contest.chief).position == 4


def test_a_match_seated_by_hand_is_not_drawn(contest, users):
    """Seats added before the draw would escape its rules: the draw refuses such a match
    (and so does its commitment), nothing written."""
    match = match_create(
        actor=users.cy, stage=contest.stage, code="A", entrants=[1, 2, 3, 4], panel_size=3
    )
    seat_add(actor=users.cy, match=match, judge=contest.chief)
    with pytest.raises(Conflict, match="人工指定"):
        draw_commit(actor=users.cy, match=match)
    Match.objects.filter(pk=match.pk).update(draw_commitment="c" * 64)  # committed earlier
    with pytest.raises(Conflict, match="人工指定"):
        panel_draw(actor=users.cy, match=match)
    assert Seat.objects.filter(match=match).count() == 1
    assert not events("contests.draw_commit") and not events("contests.panel_draw")


@pytest.mark.parametrize("huge", [10**20, "99999999999999999999", 1_000_000, 0, -3, "٣"])
def test_entrant_numbers_out_of_range_are_a_field_error_not_a_crash(contest, users, huge):
    with pytest.raises(ValidationFailed) as refused:
        match_create(actor=users.cy, stage=contest.stage, code="A", entrants=[1, huge])
    assert "1–999999" in refused.value.fields["entrants"]
    match = seated(contest, users.cy, numbers=(1, 2))
    judge = panel_of(match)[0]
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=huge, aspect="M1", value="1", key=key()
        )
    assert "entrant" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        sheet_lock(actor=users.cy, stage=contest.stage, entrant=huge)
    assert "entrant" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        seat_add(actor=users.cy, match=match, judge=10**30)
    assert "judge" in refused.value.fields
    assert Match.objects.count() == 1 and not Mark.objects.exists()


def test_huge_numbers_on_the_pages_are_said_next_to_the_field(client, contest, users):
    client.force_login(users.cy)
    page = client.post(
        f"/contests/stages/{contest.stage.pk}/matches/new/",
        {"code": "A", "entrants": "1, 99999999999999999999", "seed": "", "panel_size": "3"},
    )
    assert page.status_code == 200
    assert "1–999999" in page.context["form"].errors["entrants"][0]
    page = client.post(
        f"/contests/stages/{contest.stage.pk}/matches/new/",
        {"code": "A", "entrants": "1, 2", "seed": "99999999999999999999", "panel_size": "3"},
    )
    assert page.status_code == 200 and "seed" in page.context["form"].errors
    assert not Match.objects.exists()
    seated(contest, users.cy)
    locked = client.post(
        f"/contests/stages/{contest.stage.pk}/sheets/99999999999999999999/lock/", follow=True
    )
    assert locked.status_code == 200 and "1–999999" in locked.content.decode()
    assert not Sheet.objects.exists()


def test_no_absence_is_recorded_once_the_stage_is_locked(contest, users):
    match = seated(contest, users.cy)
    seat = Seat.objects.filter(match=match).first()
    for status in (Stage.Status.LOCKED, Stage.Status.CONFIRMED):
        Stage.objects.filter(pk=contest.stage.pk).update(status=status)
        with pytest.raises(Conflict, match="不能再记录缺席"):
            seat_absent(actor=users.cy, seat=seat, reason="未到场")
    seat.refresh_from_db()
    assert not seat.absent and not events("contests.seat_absent")


@pytest.mark.parametrize("value", ["٣", "1_0", "1e1", "３０"])
def test_a_mark_is_ascii_digits(contest, users, value):
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    with pytest.raises(ValidationFailed) as refused:
        mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect="M1", value=value, key=key()
        )
    assert "阿拉伯数字" in refused.value.fields["value"]
    assert not Mark.objects.exists()


def test_the_grid_warns_as_the_lock_refuses(contest, users):
    """The marking grid's spread warning is the engine's (what sheet_lock applies)."""
    from gonghui.contests.judging import selectors

    match = seated(contest, users.cy)
    mark_all(contest, match, 1, ["20", "22", "28"])
    [row] = [
        r for r in selectors.marking_grid(actor=users.cy, pk=contest.stage.pk).rows if r.number == 1
    ]
    with pytest.raises(Conflict) as refused:
        sheet_lock(actor=users.cy, stage=contest.stage, entrant=1)
    assert row.spread == [refused.value.message] and not row.ready


def test_the_match_page_offers_only_what_the_services_allow(client, contest, users):
    match = match_create(
        actor=users.cy, stage=contest.stage, code="A", entrants=[1, 2, 3, 4], panel_size=3
    )
    client.force_login(users.cy)
    url = f"/contests/matches/{match.pk}/"
    draw_commit(actor=users.cy, match=match)
    text = client.get(url).content.decode()
    assert "抽签后方可增补裁判" in text and "match_seat_add" not in text
    assert f"/contests/matches/{match.pk}/seats/" not in text
    panel_draw(actor=users.cy, match=match)
    assert f"/contests/matches/{match.pk}/seats/" in client.get(url).content.decode()
    Stage.objects.filter(pk=contest.stage.pk).update(status=Stage.Status.LOCKED)
    text = client.get(url).content.decode()
    assert "记录缺席" not in text and f"/contests/matches/{match.pk}/seats/" not in text
