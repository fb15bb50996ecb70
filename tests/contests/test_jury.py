"""Public jurors (大众评委): identity as a keyed hash, conflicts → recusals, seating and the
pass, votes (one per juror and entrant by the database, late ones recorded and refused,
idempotent by key), who counts; pages and API, and another district's staff kept out."""

import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.contests import engine, records
from gonghui.contests.jury import passes, selectors
from gonghui.contests.jury.services import juror_register, juror_seat, juror_unseat, vote_cast
from gonghui.contests.models import Entrant, Judge, Recusal, Stage, StageEntry, Vote
from tests.contests.test_jury_world import build_contest
from tests.factories import VALID_IDS, make_person

pytestmark = pytest.mark.django_db

ID = VALID_IDS[1]


@pytest.fixture
def contest(tree, users):
    return build_contest(tree, users.cy)


def register(contest, users, n=0, **kw):
    data = {"name": f"评委{n}", "id_number": VALID_IDS[n]} | kw
    return juror_register(actor=users.cy, programme=contest.programme, **data)


def seated(contest, users, n=0, **kw):
    juror = register(contest, users, n, **kw)
    juror_seat(actor=users.cy, juror=juror)
    juror.refresh_from_db()
    return juror


def key():
    return uuid.uuid4().hex


def vote(juror, contest, entrant=0, value="80", k=None):
    return vote_cast(
        juror=juror,
        stage=contest.stage,
        entrant=contest.entrants[entrant],
        value=value,
        key=k or key(),
    )


def dump_everything() -> str:
    """Every row of every table, as text: where an ID number might hide."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            out.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(out)


# --- Registering -------------------------------------------------------------------------


def test_identity_is_kept_only_as_a_keyed_hash(contest, users, client):
    juror = register(contest, users, 1, employer_name="某街道办事处")
    assert juror.identity_hash and ID not in juror.identity_hash
    assert ID not in dump_everything() and ID[:17] not in dump_everything()
    client.force_login(users.cy)
    page = client.get(f"/contests/{contest.programme.pk}/jurors/")
    assert page.status_code == 200 and "评委1" in page.content.decode()
    assert ID not in page.content.decode()


def test_the_same_identity_twice_is_refused_without_digits(contest, users):
    register(contest, users, 1)
    with pytest.raises(ValidationFailed) as refused:
        register(contest, users, 1, name="另一人")
    message = refused.value.fields["id_number"]
    assert "重复" in message and not any(ch.isdigit() for ch in message)
    assert Judge.objects.filter(kind="public").count() == 1


def test_a_bad_id_number_is_refused_naming_the_field_nothing_written(contest, users):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        register(contest, users, 0, id_number="110105194912310021", name="")
    assert set(refused.value.fields) == {"id_number", "name"}
    assert Judge.objects.filter(kind="public").count() == 0
    assert AuditEvent.objects.count() == events


def test_conflicts_become_recusals(contest, users):
    juror = register(
        contest,
        users,
        employer_name=" 北京精工机械有限公司 ",  # the employer of entrant 001
        relations=[contest.entrants[2].pk],
    )
    recusals = {(r.entrant.number, r.reason) for r in Recusal.objects.filter(judge=juror)}
    assert recusals == {(1, "employer"), (3, "declared")}
    assert juror.employer == contest.employers[0]
    events = AuditEvent.objects.filter(action="contests.recusal").order_by("seq")
    assert [json.loads(e.body)["changes"]["entrant"][1] for e in events] == ["001", "003"]
    assert {e.stream for e in events} == {contest.competition.stream}


def test_another_district_cannot_register(contest, users):
    with pytest.raises(NotFound):
        juror_register(actor=users.hd, programme=contest.programme, name="x", id_number=ID)
    assert Judge.objects.filter(kind="public").count() == 0


# --- Seating and the pass ----------------------------------------------------------------


def test_seating_returns_a_pass_and_seating_twice_does_nothing(contest, users):
    juror = register(contest, users)
    token = juror_seat(actor=users.cy, juror=juror)
    assert passes.juror_of(token) == juror.pk
    again = juror_seat(actor=users.cy, juror=juror)
    assert passes.juror_of(again) == juror.pk
    assert AuditEvent.objects.filter(action="contests.juror_seat").count() == 1
    assert passes.juror_of(token + "x") is None


def test_an_expert_is_not_seated_here(contest, users):
    with pytest.raises(ValidationFailed) as refused:
        juror_seat(actor=users.cy, juror=contest.experts[0])
    assert "juror" in refused.value.fields


# --- Votes -------------------------------------------------------------------------------


def test_a_vote_is_recorded_with_its_event(contest, users):
    juror = seated(contest, users)
    cast = vote(juror, contest, value="85.5")
    assert cast.duplicate is False and not cast.late and cast.value == "85.5"
    event = AuditEvent.objects.get(action="contests.vote")
    assert event.stream == contest.competition.stream
    assert json.loads(event.body)["changes"] == {
        "stage": [None, contest.stage.pk],
        "entrant": [None, "001"],
        "juror": [None, f"p{juror.pk}"],
        "value": [None, "85.5"],
        "late": [None, False],
    }


def test_the_same_key_twice_is_one_vote_and_one_event(contest, users):
    juror = seated(contest, users)
    k = key()
    first = vote(juror, contest, k=k)
    second = vote(juror, contest, k=k)
    assert second.pk == first.pk and second.duplicate is True
    assert Vote.objects.count() == 1
    assert AuditEvent.objects.filter(action="contests.vote").count() == 1
    with pytest.raises(Conflict):  # the same key for another vote
        vote(juror, contest, entrant=1, k=k)


def test_a_second_vote_on_an_entrant_is_refused(contest, users):
    juror = seated(contest, users)
    vote(juror, contest)
    with pytest.raises(Conflict) as refused:
        vote(juror, contest, value="10")
    assert "只能投一票" in refused.value.message
    assert Vote.objects.count() == 1


def test_the_database_itself_allows_one_vote_per_juror_and_entrant(contest, users):
    juror = seated(contest, users)
    vote(juror, contest)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(
            stage=contest.stage,
            juror=juror,
            entrant=contest.entrants[0],
            value="1",
            key=key(),
            created_at=timezone.now(),
        )


def test_a_late_vote_is_recorded_refused_and_never_counted(contest, users):
    juror = seated(contest, users)
    for n in range(3):
        vote(juror, contest, entrant=n, value="90")
    late_juror = seated(contest, users, 1)
    vote(late_juror, contest, entrant=0, value="10")
    vote(late_juror, contest, entrant=1, value="10")
    k = key()
    with time_machine.travel(contest.stage.votes_close_at + timedelta(seconds=1)):
        with pytest.raises(ValidationFailed) as refused:
            vote(late_juror, contest, entrant=2, value="10", k=k)
        assert refused.value.fields == {"stage": "投票已截止，本票不计入"}
        with pytest.raises(ValidationFailed):  # sent again: the same stored, refused vote
            vote(late_juror, contest, entrant=2, value="10", k=k)
    late = Vote.objects.get(key=k)
    assert late.late is True and Vote.objects.filter(late=True).count() == 1
    assert json.loads(AuditEvent.objects.filter(action="contests.vote").last().body)["changes"][
        "late"
    ] == [None, True]
    record = records.stage_record(contest.stage)
    scores = engine.public_scores(contest.stage.scheme, record["votes"], record["entrants"])
    assert scores == {"001": 90, "002": 90, "003": 90}  # the late juror does not count


def test_a_vote_before_the_window_is_refused_and_not_recorded(contest, users):
    juror = seated(contest, users)
    early = time_machine.travel(contest.stage.votes_open_at - timedelta(seconds=1))
    with early, pytest.raises(ValidationFailed) as refused:
        vote(juror, contest)
    assert "尚未开始" in refused.value.fields["stage"]
    assert Vote.objects.count() == 0


def test_a_juror_who_skipped_an_entrant_is_not_counted(contest, users):
    full = seated(contest, users, 0)
    partial = seated(contest, users, 1)
    for n in range(3):
        vote(full, contest, entrant=n, value="60")
    vote(partial, contest, entrant=0, value="100")
    page = selectors.stage_votes(users.cy, contest.stage.pk)
    counted = {row.key: row.counted for row in page.jurors}
    assert counted == {f"p{full.pk}": True, f"p{partial.pk}": False}
    assert page.counted == 1 and dict(page.scores) == {"001": "60", "002": "60", "003": "60"}
    # A scheme's minimum lets the partial juror count.
    contest.stage.scheme = contest.stage.scheme | {"public": {"max": "100", "minimum": 1}}
    contest.stage.save()
    page = selectors.stage_votes(users.cy, contest.stage.pk)
    assert page.counted == 2 and dict(page.scores)["001"] == "80"


@pytest.mark.parametrize(
    "value, message", [("101", "0–100"), ("-1", "0–100"), ("abc", "数字"), ("1.2345", "三位")]
)
def test_a_vote_out_of_range_is_refused_naming_value(contest, users, value, message):
    juror = seated(contest, users)
    with pytest.raises(ValidationFailed) as refused:
        vote(juror, contest, value=value)
    assert message in refused.value.fields["value"]
    assert Vote.objects.count() == 0 and not AuditEvent.objects.filter(action="contests.vote")


def test_a_recused_juror_cannot_vote_on_that_entrant(contest, users):
    juror = seated(contest, users, employer_name="北京精工机械有限公司")
    with pytest.raises(Conflict) as refused:
        vote(juror, contest, entrant=0)
    assert "回避" in refused.value.message
    vote(juror, contest, entrant=1)
    assert Vote.objects.count() == 1


def test_an_unseated_juror_cannot_vote(contest, users):
    juror = register(contest, users)
    with pytest.raises(Conflict):
        vote(juror, contest)
    assert Vote.objects.count() == 0


def test_an_entrant_not_in_the_stage_is_refused(contest, users, tree):
    juror = seated(contest, users)
    other = build_contest(tree, users.cy)
    with pytest.raises(ValidationFailed) as refused:
        vote_cast(juror=juror, stage=contest.stage, entrant=other.entrants[0], value="1", key=key())
    assert "entrant" in refused.value.fields


# --- Pages and API -----------------------------------------------------------------------


def api_vote(client, token, contest, entrant=0, value="80", k=None):
    return client.post(
        "/api/v1/contests/votes",
        json.dumps(
            {
                "stage": contest.stage.pk,
                "entrant": contest.entrants[entrant].pk,
                "value": value,
                "key": k or key(),
            }
        ),
        content_type="application/json",
        HTTP_X_JUROR_PASS=token,
    )


def test_the_api_votes_with_the_pass(contest, users):
    juror = register(contest, users)
    token = juror_seat(actor=users.cy, juror=juror)
    client = Client()
    k = key()
    first = api_vote(client, token, contest, k=k)
    assert first.status_code == 201, first.content
    assert first.json()["vote"]["entrant"] == "001"
    assert api_vote(client, token, contest, k=k).status_code == 200
    assert api_vote(client, token, contest).status_code == 409
    bad = api_vote(client, token, contest, entrant=1, value="500")
    assert bad.status_code == 422 and "value" in bad.json()["fields"]
    assert api_vote(client, "forged", contest, entrant=1).status_code == 401
    assert api_vote(client, "", contest, entrant=1).status_code == 401
    assert Vote.objects.count() == 1


def test_the_phone_page_votes_once_per_entrant(contest, users):
    juror = register(contest, users)
    token = juror_seat(actor=users.cy, juror=juror)
    client = Client()
    page = client.get(f"/vote/?pass={token}")
    html = page.content.decode()
    assert page.status_code == 200 and "选手甲" in html and "综合评审" in html
    k = key()
    sent = client.post(
        f"/vote/?pass={token}",
        {"stage": contest.stage.pk, "entrant": contest.entrants[0].pk, "value": "77", "key": k},
    )
    assert sent.status_code == 302
    again = client.post(  # the form sent twice (a double tap): still one vote
        f"/vote/?pass={token}",
        {"stage": contest.stage.pk, "entrant": contest.entrants[0].pk, "value": "77", "key": k},
    )
    assert again.status_code == 302 and Vote.objects.count() == 1
    html = client.get(f"/vote/?pass={token}").content.decode()
    assert "已投 77 分" in html
    assert client.get("/vote/?pass=forged").status_code == 404


def test_staff_pages(contest, users, client):
    juror = register(contest, users)
    client.force_login(users.cy)
    listing = client.get(f"/contests/{contest.programme.pk}/jurors/?sort=-name")
    assert listing.status_code == 200
    seat = client.post(f"/contests/jurors/{juror.pk}/seat/", follow=True)
    html = seat.content.decode()
    assert seat.status_code == 200 and "/vote/" in html and "<svg" in html
    juror.refresh_from_db()
    assert juror.seated
    created = client.post(
        f"/contests/{contest.programme.pk}/jurors/",
        {"name": "新评委", "id_number": VALID_IDS[2], "employer_name": "", "relations": []},
    )
    assert created.status_code == 302 and Judge.objects.filter(name="新评委").exists()
    refused = client.post(
        f"/contests/{contest.programme.pk}/jurors/",
        {"name": "重复", "id_number": VALID_IDS[2]},
    )
    html = refused.content.decode()
    assert refused.status_code == 200 and "不能重复登记" in html and VALID_IDS[2] not in html
    progress = client.get(f"/contests/stages/{contest.stage.pk}/votes/")
    assert progress.status_code == 200 and "计入" in progress.content.decode()


def test_another_district_gets_404_on_pages_and_api(contest, users, client):
    juror = register(contest, users)
    client.force_login(users.hd)
    for url in [
        f"/contests/{contest.programme.pk}/jurors/",
        f"/contests/stages/{contest.stage.pk}/votes/",
        f"/contests/jurors/{juror.pk}/pass/",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/contests/jurors/{juror.pk}/seat/").status_code == 404
    assert (
        client.post(
            f"/contests/{contest.programme.pk}/jurors/", {"name": "x", "id_number": ID}
        ).status_code
        == 404
    )
    api = client.get(f"/api/v1/contests/stages/{contest.stage.pk}/votes")
    assert api.status_code == 404
    juror.refresh_from_db()
    assert not juror.seated and Judge.objects.filter(kind="public").count() == 1


# --- Review findings (issue #17) ---------------------------------------------------------


def test_a_vote_after_the_lock_within_the_window_is_late_and_not_counted(contest, users):
    juror = seated(contest, users)
    vote(juror, contest, entrant=0, value="90")
    Stage.objects.filter(pk=contest.stage.pk).update(status=Stage.Status.LOCKED)
    k = key()
    with pytest.raises(ValidationFailed) as refused:
        vote(juror, contest, entrant=1, value="10", k=k)
    assert refused.value.fields == {"stage": "本赛段成绩已锁定，本票不计入"}
    assert Vote.objects.get(key=k).late is True
    record = records.stage_record(contest.stage)
    assert [v["late"] for v in record["votes"]] == [False, True]


def test_the_employer_is_kept_and_a_later_entrant_of_it_is_recused(contest, users, tree):
    juror = seated(contest, users, employer_name="  京西新材料有限公司 ")
    assert juror.employer is not None and juror.employer.name == "京西新材料有限公司"
    assert AuditEvent.objects.filter(action="registry.unit_create").count() == 1
    assert not Recusal.objects.filter(judge=juror)
    # An entrant of the juror's employer registers after the juror.
    later = Entrant.objects.create(
        competition=contest.competition,
        person=make_person(tree.cy_grass, name="选手丁"),
        number=4,
        age=30,
        employer=juror.employer,
        route="self",
    )
    StageEntry.objects.create(stage=contest.stage, entrant=later, match=contest.match)
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        vote_cast(juror=juror, stage=contest.stage, entrant=later, value="90", key=key())
    assert "回避" in refused.value.message
    assert Vote.objects.count() == 0 and AuditEvent.objects.count() == events
    page = selectors.vote_page(passes.issue(juror.pk))
    assert [b.recused for b in page.stages[0].ballots] == [False, False, False, True]
    # The same employer typed again is the same unit: no second one.
    other = register(contest, users, 2, employer_name="京西新材料有限公司")
    assert other.employer_id == juror.employer_id
    assert AuditEvent.objects.filter(action="registry.unit_create").count() == 1


def test_an_entrant_of_the_programme_is_not_a_juror(contest, users, tree):
    entrant_id = VALID_IDS[3]
    person = make_person(tree.cy_grass, name="选手戊", id_number=entrant_id)
    entrant = Entrant.objects.create(
        competition=contest.competition,
        person=person,
        number=5,
        age=30,
        employer=contest.employers[1],
        route="self",
    )
    with pytest.raises(ValidationFailed) as refused:
        register(contest, users, 3)
    message = refused.value.fields["id_number"]
    assert "参赛人" in message and not any(ch.isdigit() for ch in message)
    assert Judge.objects.filter(kind="public").count() == 0
    # A juror who enters the programme after registering votes no more.
    entrant.delete()
    juror = seated(contest, users, 3)
    vote(juror, contest, entrant=0)
    Entrant.objects.create(
        competition=contest.competition,
        person=person,
        number=5,
        age=30,
        employer=contest.employers[1],
        route="self",
    )
    with pytest.raises(Conflict) as refused:
        vote(juror, contest, entrant=1)
    assert "参赛人" in refused.value.message and Vote.objects.count() == 1


def test_ids_no_row_can_have_are_refused_not_500(contest, users, client):
    juror = seated(contest, users)
    token = passes.issue(juror.pk)
    huge = 10**20
    for field in ("stage", "entrant"):
        with pytest.raises(ValidationFailed) as refused:
            vote_cast(
                juror=juror,
                **{"stage": contest.stage, "entrant": contest.entrants[0], field: huge},
                value="1",
                key=key(),
            )
        assert field in refused.value.fields
    phone = Client()
    for data in (
        {"stage": huge, "entrant": contest.entrants[0].pk},
        {"stage": contest.stage.pk, "entrant": huge},
    ):
        sent = phone.post(f"/vote/?pass={token}", data | {"value": "1", "key": key()})
        assert sent.status_code == 302
    client.force_login(users.cy)
    for url in (
        f"/contests/stages/{huge}/votes/",
        f"/contests/jurors/{huge}/pass/",
        f"/contests/{huge}/jurors/",
        f"/api/v1/contests/stages/{huge}/votes",
    ):
        assert client.get(url).status_code in (404, 422), url
    assert client.post(f"/contests/jurors/{huge}/seat/").status_code == 404
    assert Vote.objects.count() == 0


def test_the_pass_never_travels_in_a_path(contest, users, client):
    juror = register(contest, users)
    client.force_login(users.cy)
    html = client.post(f"/contests/jurors/{juror.pk}/seat/", follow=True).content.decode()
    assert "/vote/?pass=" in html
    token = juror_seat(actor=users.cy, juror=juror)
    assert Client().get(f"/vote/{token}/").status_code == 404


def test_unseating_withdraws_every_pass(contest, users, client):
    juror = register(contest, users)
    old = juror_seat(actor=users.cy, juror=juror)
    phone = Client()
    assert api_vote(phone, old, contest, entrant=0).status_code == 201
    juror_unseat(actor=users.cy, juror=juror)
    assert AuditEvent.objects.filter(action="contests.juror_unseat").count() == 1
    refused = api_vote(phone, old, contest, entrant=1)
    assert refused.status_code == 409 and "作废" in refused.json()["message"]
    assert phone.get(f"/vote/?pass={old}").status_code == 404
    with pytest.raises(Conflict) as unseated:  # without a pass (the services' own callers)
        vote(juror, contest, entrant=1)
    assert "入座" in unseated.value.message
    new = juror_seat(actor=users.cy, juror=juror)
    assert api_vote(phone, old, contest, entrant=1).status_code == 409  # seated again: still
    assert api_vote(phone, new, contest, entrant=1).status_code == 201
    assert Vote.objects.count() == 2
    # Through the page; another district cannot.
    client.force_login(users.hd)
    assert client.post(f"/contests/jurors/{juror.pk}/unseat/").status_code == 404
    juror.refresh_from_db()
    assert juror.seated
    client.force_login(users.cy)
    assert client.post(f"/contests/jurors/{juror.pk}/unseat/").status_code == 302
    juror.refresh_from_db()
    assert not juror.seated


def test_a_signed_vote_is_refused_and_zero_is_stored_as_zero(contest, users):
    juror = seated(contest, users)
    with pytest.raises(ValidationFailed) as refused:
        vote(juror, contest, value="-0")
    assert "value" in refused.value.fields
    assert not Vote.objects.exists()
    assert vote(juror, contest, entrant=1, value="0.000").value == "0"
