"""Registration (报名不设门槛), union nominations, closing registration and the entrant's own
pages: through the services and through the pages and the API."""

import json
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, NotFound, Throttled, ValidationFailed
from gonghui.contests import signals
from gonghui.contests.entry import services
from gonghui.contests.entry.services import (
    entrant_nominate,
    entrant_register,
    entrant_withdraw,
    registration_close,
    registrations_close_due,
)
from gonghui.contests.models import (
    Appeal,
    Competition,
    Entrant,
    Match,
    Programme,
    RescoreBatch,
    Result,
    Stage,
    StageEntry,
)
from gonghui.people.models import Person, Trade, Unit
from tests.factories import PASSWORD, VALID_IDS, make_person, make_user

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


# --- Test data: a programme, an open competition and its stages, made directly ---------------


def make_competition(owner, org_unit, *, name="钳工", status="open", rules=True, **fields):
    trade, _ = Trade.objects.get_or_create(code=f"T-{name}", defaults={"name": f"{name}（测）"})
    programme, _ = Programme.objects.get_or_create(
        name="朝阳工匠", year=2026, org_unit=org_unit, defaults={"created_by": owner}
    )
    now = timezone.now()
    competition = Competition.objects.create(
        programme=programme,
        org_unit=org_unit,
        trade=trade,
        name=f"朝阳工匠·{name}",
        status=status,
        registration_opens_at=fields.pop("opens", now - timedelta(days=1)),
        registration_closes_at=fields.pop("closes", now + timedelta(days=1)),
        rules_sha256="ab" * 32 if rules else "",
        rules_name="规程.pdf" if rules else "",
        **fields,
    )
    for order, (kind, label) in enumerate(
        [("selection", "挑战者选拔赛"), ("final", "终极挑战赛")], start=1
    ):
        Stage.objects.create(competition=competition, order=order, kind=kind, name=label)
    return competition


@pytest.fixture
def contest(users, tree):
    return make_competition(users.cy, tree.chaoyang)


def anonymous(competition, *, name="王小明", phone=PHONE, age=30, employer="朝阳机械厂", **extra):
    if extra.get("id_number") and age == 30:
        age = None  # the ID number's birth date tells it
    return entrant_register(
        competition=competition,
        name=name,
        phone=phone,
        age=age,
        employer_name=employer,
        ip="203.0.113.9",
        **extra,
    )


def events(competition, action=None):
    qs = AuditEvent.objects.filter(stream=competition.stream).order_by("seq")
    if action:
        qs = qs.filter(action=action)
    return [json.loads(e.body) for e in qs]


def counts():
    return (
        Entrant.objects.count(),
        Person.objects.count(),
        Unit.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Anonymous registration -----------------------------------------------------------------


def test_anonymous_registration_creates_a_person_through_the_registry(contest, tree):
    entrant = anonymous(contest, id_number=VALID_IDS[1])

    person = entrant.person
    assert entrant.number == 1 and entrant.route == "self" and entrant.nominated_by is None
    assert person.org_unit == tree.chaoyang and person.trade == contest.trade
    assert person.id_number == VALID_IDS[1] and person.id_number_index
    assert person.phone == PHONE and person.employer == entrant.employer
    assert entrant.employer.name == "朝阳机械厂" and entrant.employer.org_unit == tree.chaoyang
    assert AuditEvent.objects.filter(action="people.create", object_id=str(person.pk)).exists()
    (event,) = events(contest, "contests.register")
    assert event["changes"] == {
        "entrant": [None, "001"],
        "route": [None, "self"],
        "employer": [None, f"u{entrant.employer.pk}"],
        "age": [None, entrant.age],
    }
    assert VALID_IDS[1] not in json.dumps(event) and PHONE not in json.dumps(event)


def test_the_employer_is_found_by_name_under_the_organiser(contest, tree):
    first = anonymous(contest, employer="朝阳机械厂")
    second = anonymous(contest, name="李四", phone="13900139000", employer=" 朝阳机械厂 ")
    assert first.employer == second.employer
    assert [first.number, second.number] == [1, 2]


def test_a_known_id_finds_the_same_person_and_the_answer_says_nothing(client, users, tree):
    """A record elsewhere in the registry (Haidian) is found by its ID number; the page's
    and the API's answers are the same for it as for a new person, and name nothing."""
    employer = Unit.objects.create(name="中关村某研究所", org_unit=tree.hd_grass)
    known = make_person(tree.hd_grass, "钱学", VALID_IDS[2], employer=employer, phone="13911112222")
    contest = make_competition(users.cy, tree.chaoyang)
    people = Person.objects.count()

    def join(id_number, phone, name):
        data = {
            "name": name,
            "phone": phone,
            "employer_name": "朝阳机械厂",
            "id_number": id_number,
        }
        response = client.post(f"/contests/c/{contest.pk}/join/", data)
        done = client.get(response["Location"])
        return response, done

    found_post, found_done = join(VALID_IDS[2], "13700137000", "钱学")
    new_post, new_done = join(VALID_IDS[3], "13700137001", "王某")

    assert found_post.status_code == new_post.status_code == 302
    assert found_done.status_code == new_done.status_code == 200
    found_text = re.sub(r'"X-CSRFToken": "\w+"', "", found_done.content.decode())
    new_text = re.sub(r'"X-CSRFToken": "\w+"', "", new_done.content.decode())
    assert found_text.replace("001", "###") == new_text.replace("002", "###")
    for secret in ["中关村", "海淀", "1391111", "2222", VALID_IDS[2][-4:], "已有档案"]:
        assert secret not in found_text
    assert Entrant.objects.get(number=1).person == known  # found, not duplicated
    assert Person.objects.count() == people + 1  # only the new one
    known.refresh_from_db()
    assert known.name == "钱学" and known.phone == "13911112222"  # nothing typed changed it

    # A second competition: the same person again, and the API answers alike.
    other = make_competition(users.cy, tree.chaoyang, name="电工")
    body = {"phone": "13700137000", "employer_name": "朝阳机械厂"}
    url = f"/api/v1/contests/competitions/{other.pk}/register"
    found = client.post(
        url, json.dumps(body | {"name": "钱 学", "id_number": VALID_IDS[2]}), "application/json"
    )
    new = client.post(
        url, json.dumps(body | {"name": "王某", "id_number": VALID_IDS[4]}), "application/json"
    )
    assert found.status_code == new.status_code == 201
    assert set(found.json()) == set(new.json())
    assert {k: v for k, v in found.json().items() if k not in ("number", "entrant", "message")} == {
        k: v for k, v in new.json().items() if k not in ("number", "entrant", "message")
    }
    assert "中关村" not in found.content.decode()
    assert Entrant.objects.get(competition=other, number=1).person == known


def test_a_known_id_with_another_name_is_refused_and_counted(client, users, tree):
    """Typing someone's ID number with another name neither enters them nor tells their
    name: refused on the ID number, nothing written, and it counts against the address."""
    known = make_person(tree.hd_grass, "钱学", VALID_IDS[2], phone="13911112222")
    contest = make_competition(users.cy, tree.chaoyang)
    before = counts()
    with pytest.raises(ValidationFailed) as refused:
        anonymous(contest, name="王某", id_number=VALID_IDS[2])
    assert refused.value.fields == {"id_number": "身份证号与姓名不符，请核对"}
    assert counts() == before
    assert services.ratelimit.count("contest-register:203.0.113.9:600") == 1

    page = client.post(
        f"/contests/c/{contest.pk}/join/",
        {"name": "王某", "phone": PHONE, "employer_name": "朝阳机械厂", "id_number": VALID_IDS[2]},
    )
    assert page.status_code == 200
    assert page.context["form"].errors["id_number"] == ["身份证号与姓名不符，请核对"]
    text = page.content.decode()
    assert "钱学" not in text and "1391111" not in text
    api = client.post(
        f"/api/v1/contests/competitions/{contest.pk}/register",
        json.dumps({"name": "王某", "phone": PHONE, "employer_name": "某厂",
                    "id_number": VALID_IDS[2]}),
        "application/json",
    )  # fmt: skip
    assert api.status_code == 422 and "钱学" not in api.content.decode()
    assert counts() == before
    # The holder's own name, full-width or spaced, is theirs.
    entrant = anonymous(contest, name=" 钱　学 ", id_number=VALID_IDS[2])
    assert entrant.person == known


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_get_distinct_numbers(tree, users):
    contest = make_competition(users.cy, tree.chaoyang)
    numbers, errors = [], []
    barrier = threading.Barrier(4)

    def register(i):
        try:
            barrier.wait()
            entrant = anonymous(contest, name=f"选手{i}", phone=f"1390000000{i}")
            numbers.append(entrant.number)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "change, field, says",
    [
        ({"phone": "12345"}, "phone", "手机"),
        ({"age": 15}, "age", "16至90"),
        ({"age": 91}, "age", "16至90"),
        ({"name": " "}, "name", "姓名"),
        ({"employer": ""}, "employer_name", "工作单位"),
        ({"id_number": "110105194912310022"}, "id_number", "校验位"),
        ({"age": None}, "age", "年龄"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(contest, change, field, says):
    before = counts()
    kwargs = {"employer": change.pop("employer")} if "employer" in change else {}
    with pytest.raises(ValidationFailed) as refused:
        anonymous(contest, **change, **kwargs)
    assert says in refused.value.fields[field]
    assert counts() == before


def test_registering_twice_is_refused(contest):
    anonymous(contest, id_number=VALID_IDS[1])
    before = counts()
    with pytest.raises(ValidationFailed) as refused:
        anonymous(contest, phone="13900001111", id_number=VALID_IDS[1])
    assert "已报名" in refused.value.fields["person"]
    # Without an ID number: the same name and phone.
    anonymous(contest, name="张三", phone="13911110000")
    with pytest.raises(ValidationFailed) as refused:
        anonymous(contest, name="张三", phone="13911110000")
    assert "已报名" in refused.value.fields["phone"]
    assert counts()[0] == before[0] + 1


def test_registration_outside_its_window_is_refused_naming_the_field(contest, client):
    before = counts()
    with time_machine.travel(contest.registration_closes_at + timedelta(minutes=1)):
        with pytest.raises(ValidationFailed) as refused:
            anonymous(contest)
        assert "报名已截止" in refused.value.fields["registration_closes_at"]
        response = client.post(
            f"/contests/c/{contest.pk}/join/",
            {"name": "王五", "phone": PHONE, "age": 30, "employer_name": "某厂"},
        )
        assert response.status_code == 200 and "报名已截止" in response.content.decode()
    with time_machine.travel(contest.registration_opens_at - timedelta(minutes=1)):
        with pytest.raises(ValidationFailed) as refused:
            anonymous(contest)
        assert "尚未开始" in refused.value.fields["registration_opens_at"]
    assert counts() == before


def test_registration_after_it_was_closed_is_refused(contest, users):
    registration_close(actor=users.cy, competition=contest)
    before = counts()
    with pytest.raises(ValidationFailed) as refused:
        anonymous(contest)
    assert refused.value.fields == {"registration_closes_at": "报名已截止"}
    assert counts() == before


def test_anonymous_registrations_are_limited_per_address(contest, client):
    url = f"/api/v1/contests/competitions/{contest.pk}/register"
    limit = services.REGISTER_LIMITS[600]
    for i in range(limit):
        body = {
            "name": f"选手{i}",
            "phone": f"139000000{i:02d}",
            "age": 30,
            "employer_name": "某厂",
        }
        assert client.post(url, json.dumps(body), "application/json").status_code == 201
    refused = client.post(
        url,
        json.dumps({"name": "多一个", "phone": "13911119999", "age": 30, "employer_name": "某厂"}),
        "application/json",
    )
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert Entrant.objects.count() == limit
    with pytest.raises(Throttled):
        entrant_register(
            competition=contest,
            name="再多一个",
            phone=PHONE,
            age=30,
            employer_name="某厂",
            ip="127.0.0.1",
        )


def test_the_api_body_is_strict(contest, client):
    url = f"/api/v1/contests/competitions/{contest.pk}/register"
    body = {"name": "王五", "phone": PHONE, "age": "30", "employer_name": "某厂", "x": 1}
    response = client.post(url, json.dumps(body), "application/json")
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"age", "x"}
    assert Entrant.objects.count() == 0


# --- A logged-in member: one tap -------------------------------------------------------------


@pytest.fixture
def member(tree):
    user = make_user("member_wang", None, None)
    employer = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    person = make_person(tree.cy_grass, "王建国", VALID_IDS[1], employer=employer)
    Person.objects.filter(pk=person.pk).update(user=user)
    return user


def test_a_member_registers_in_one_tap(contest, member, client):
    client.login(username="member_wang", password=PASSWORD)
    page = client.get(f"/contests/c/{contest.pk}/join/")
    assert "一键报名" in page.content.decode() and "王建国" in page.content.decode()
    response = client.post(f"/contests/c/{contest.pk}/join/", {})
    assert response.status_code == 302, response.context["form"].errors
    entrant = Entrant.objects.get()
    assert entrant.person.user == member and entrant.employer.name == "朝阳某公司"
    assert "001" in client.get(response["Location"]).content.decode()
    assert [e["action"] for e in events(contest)] == ["contests.register"]


# --- Union nominations -----------------------------------------------------------------------


def test_a_union_nominates_its_people(contest, nominators, tree):
    users = nominators
    employer = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    person = make_person(tree.cy_grass, "赵郁", VALID_IDS[0], employer=employer)
    entrant = entrant_nominate(actor=users.cy_grass_nominator, competition=contest, person=person)
    assert entrant.route == "union" and entrant.nominated_by == tree.cy_grass
    (event,) = events(contest, "contests.register")
    assert event["changes"]["route"] == [None, "union"]


@pytest.fixture
def nominators(users, tree):
    users.cy_grass_nominator = make_user("cy_nominator", tree.cy_grass, "grassroots_staff")
    return users


def test_nominating_out_of_scope_is_404(contest, nominators, users, tree, client):
    users = nominators
    stranger = make_person(tree.hd_grass, "钱学", VALID_IDS[2], birth_date=None)
    client.login(username="cy_staff", password=PASSWORD)
    before = counts()
    with pytest.raises(NotFound):
        entrant_nominate(actor=users.cy, competition=contest, person=stranger)
    with pytest.raises(NotFound):
        entrant_nominate(actor=users.cy_grass_nominator, competition=contest, person=stranger)
    response = client.post(f"/contests/c/{contest.pk}/nominate/", {"person": stranger.pk})
    assert response.status_code == 404
    for q in ("钱", "qianxue", "qx"):
        found = client.get(f"/contests/c/{contest.pk}/nominate/", {"q": q}).content.decode()
        assert "钱学" not in found, q
    assert counts() == before


def test_nominating_through_the_page(contest, nominators, tree, client):
    employer = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    person = make_person(tree.cy_grass, "赵郁", VALID_IDS[0], employer=employer)
    client.login(username="cy_nominator", password=PASSWORD)
    for q in ("赵", "zhaoyu", "zy"):
        page = client.get(f"/contests/c/{contest.pk}/nominate/", {"q": q})
        assert "赵郁" in page.content.decode(), q
    response = client.post(f"/contests/c/{contest.pk}/nominate/", {"person": person.pk})
    assert response.status_code == 302
    assert Entrant.objects.get().nominated_by == tree.cy_grass


def test_a_district_contest_takes_nominations_from_its_own_subtree(nominators, users, tree):
    haidian_contest = make_competition(users.hd, tree.haidian)
    person = make_person(tree.cy_grass, "赵郁", VALID_IDS[0], employer=None)
    with pytest.raises(ValidationFailed) as refused:
        entrant_nominate(actor=users.cy, competition=haidian_contest, person=person)
    assert "competition" in refused.value.fields


# --- Closing registration --------------------------------------------------------------------


def test_closing_twice_records_one_event_and_one_milestone(
    contest, users, django_capture_on_commit_callbacks
):
    reached = []

    def on_milestone(sender, competition_id, name, **kwargs):
        reached.append((competition_id, name))

    signals.milestone_reached.connect(on_milestone)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            registration_close(actor=users.cy, competition=contest)
        with django_capture_on_commit_callbacks(execute=True):
            registration_close(actor=users.cy, competition=contest)
    finally:
        signals.milestone_reached.disconnect(on_milestone)
    contest.refresh_from_db()
    assert contest.status == "running" and contest.registration_closed_at
    assert contest.rules_locked_at and contest.rules_sha256 == "ab" * 32
    assert len(events(contest, "contests.registration_close")) == 1
    assert reached == [(contest.pk, "报名截止")]


def test_closing_by_hand_needs_the_rules_document(users, tree):
    contest = make_competition(users.cy, tree.chaoyang, rules=False)
    with pytest.raises(Conflict, match="规程"):
        registration_close(actor=users.cy, competition=contest)
    contest.refresh_from_db()
    assert contest.status == "open" and events(contest) == []


def test_the_worker_closes_registrations_at_their_moment(users, tree):
    due = make_competition(users.cy, tree.chaoyang, rules=False)
    later = make_competition(
        users.cy, tree.chaoyang, name="电工", closes=timezone.now() + timedelta(days=3)
    )
    with time_machine.travel(due.registration_closes_at + timedelta(seconds=1)):
        assert registrations_close_due() == 1
        assert registrations_close_due() == 0
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == "running" and later.status == "open"
    (event,) = events(due, "contests.registration_close")
    assert event["changes"]["by"] == [None, "schedule"] and event["actor"]["id"] is None


def test_another_district_cannot_list_or_close(contest, users, client):
    anonymous(contest)
    client.login(username="hd_staff", password=PASSWORD)
    assert client.get(f"/contests/c/{contest.pk}/entrants/").status_code == 404
    assert client.get(f"/api/v1/contests/competitions/{contest.pk}/entrants").status_code == 404
    assert client.post(f"/contests/c/{contest.pk}/close/").status_code == 404
    with pytest.raises(NotFound):
        registration_close(actor=users.hd, competition=contest)
    contest.refresh_from_db()
    assert contest.status == "open"


def test_the_organiser_lists_entrants_masked_filtered_and_sorted(contest, users, client):
    anonymous(contest, name="王小明", id_number=VALID_IDS[1])
    anonymous(contest, name="李四", phone="13900139000")
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/contests/c/{contest.pk}/entrants/?sort=-number")
    text = page.content.decode()
    assert page.status_code == 200 and "王小明" in text and "李四" in text
    assert text.index("李四") < text.index("王小明")
    assert PHONE not in text and VALID_IDS[1] not in text and "138******00" in text
    assert "李四" not in client.get(f"/contests/c/{contest.pk}/entrants/?q=王").content.decode()
    for q in ("wangxiaoming", "wxm", "wangxm", "小明"):  # pinyin, initials, both, a part
        found = client.get(f"/contests/c/{contest.pk}/entrants/", {"q": q}).content.decode()
        assert "王小明" in found and "李四" not in found, q
    api = client.get(f"/api/v1/contests/competitions/{contest.pk}/entrants?route=self")
    assert [e["entrant"] for e in api.json()["items"]] == ["001", "002"]
    assert api.json()["count"] == 2 and api.json()["page"] == 1
    assert PHONE not in api.content.decode()
    assert (
        client.get(f"/api/v1/contests/competitions/{contest.pk}/entrants?route=x").status_code
        == 422
    )


# --- The entrant's own pages -----------------------------------------------------------------


def result(stage, entrant, score, place, *, revealed=True, superseded=None):
    now = timezone.now()
    return Result.objects.create(
        stage=stage,
        entrant=entrant,
        score=score,
        place=place,
        scheme_version=1,
        computed_at=now,
        locked_at=now,
        revealed_at=now if revealed else None,
        superseded_by=superseded,
    )


def test_the_member_sees_only_public_results(contest, member, users, client):
    entrant = entrant_register(competition=contest, user=member)
    selection, final = contest.stages.order_by("order")
    match = Match.objects.create(stage=selection, code="M1")
    StageEntry.objects.create(stage=selection, entrant=entrant, match=match)
    appeal = Appeal.objects.create(
        stage=selection, entrant=entrant, text="复核", digest="d" * 64, filed_at=timezone.now()
    )
    batch = RescoreBatch.objects.create(appeal=appeal, created_by=users.cy, status="applied")
    result(selection, entrant, "81.25", 3, superseded=batch)  # superseded: never shown
    result(selection, entrant, "88.50", 2)  # public
    result(final, entrant, "97.75", 1, revealed=False)  # frozen: never shown

    client.login(username="member_wang", password=PASSWORD)
    for url in ["/m/contests/", f"/m/contests/entries/{entrant.pk}/"]:
        text = client.get(url).content.decode()
        assert "88.50" in text and "97.75" not in text and "81.25" not in text, url
    (mine,) = client.get("/api/v1/contests/me/entries").json()
    assert [r["score"] for r in mine["results"]] == ["88.50"]
    assert "97.75" not in json.dumps(mine)


def test_a_frozen_board_keeps_the_status_back(contest, member, client):
    entrant = entrant_register(competition=contest, user=member)
    Entrant.objects.filter(pk=entrant.pk).update(status="titled")
    Competition.objects.filter(pk=contest.pk).update(frozen_at=timezone.now())
    client.login(username="member_wang", password=PASSWORD)
    text = client.get(f"/m/contests/entries/{entrant.pk}/").content.decode()
    assert "获得称号" not in text and "成绩待公布" in text
    assert client.get("/api/v1/contests/me/entries").json()[0]["status"] == "参赛中（成绩待公布）"


def test_someone_elses_entry_is_404(contest, member, client):
    entrant = entrant_register(competition=contest, user=member)
    make_user("member_li", None, None)
    client.login(username="member_li", password=PASSWORD)
    assert client.get(f"/m/contests/entries/{entrant.pk}/").status_code == 404
    assert (
        client.post(f"/m/contests/entries/{entrant.pk}/withdraw/", {"reason": "x"}).status_code
        == 404
    )
    assert client.get("/m/contests/").status_code == 200
    assert client.get("/api/v1/contests/me/entries").json() == []


# --- Withdrawing -----------------------------------------------------------------------------


def test_the_entrant_withdraws_before_the_final(contest, member, users, client):
    entrant = entrant_register(competition=contest, user=member)
    client.login(username="member_wang", password=PASSWORD)
    refused = client.post(f"/m/contests/entries/{entrant.pk}/withdraw/", {"reason": ""})
    assert refused.status_code == 302
    entrant.refresh_from_db()
    assert entrant.status == "registered"
    client.post(f"/m/contests/entries/{entrant.pk}/withdraw/", {"reason": "工作安排冲突"})
    entrant.refresh_from_db()
    assert entrant.status == "withdrawn"
    (event,) = events(contest, "contests.withdraw")
    assert event["changes"]["by"] == [None, "self"]
    with pytest.raises(Conflict):
        entrant_withdraw(actor=users.cy, entrant=entrant, reason="重复")


def test_no_withdrawal_once_the_final_has_begun(contest, member, users):
    entrant = entrant_register(competition=contest, user=member)
    Stage.objects.filter(competition=contest, kind="final").update(status="marking")
    with pytest.raises(Conflict, match="终极挑战赛"):
        entrant_withdraw(actor=users.cy, entrant=entrant, reason="身体原因")
    with pytest.raises(NotFound):
        entrant_withdraw(actor=users.hd, entrant=entrant, reason="越权")
    entrant.refresh_from_db()
    assert entrant.status == "registered"


# --- Review fixes (issue #17 review) ---------------------------------------------------------


@pytest.mark.parametrize("status", ["titled", "nominee", "out", "seed", "competing"])
def test_a_frozen_board_refuses_every_withdrawal_alike(contest, member, client, status):
    """While the board is frozen the refusal must not tell a hidden status: one message
    for all, checked before the status, and no withdrawal offered."""
    entrant = entrant_register(competition=contest, user=member)
    Entrant.objects.filter(pk=entrant.pk).update(status=status)
    Competition.objects.filter(pk=contest.pk).update(frozen_at=timezone.now())
    with pytest.raises(Conflict) as refused:
        entrant_withdraw(actor=member, entrant=entrant, reason="身体原因")
    assert str(refused.value) == services.WITHDRAW_CLOSED
    assert status not in str(refused.value)
    client.login(username="member_wang", password=PASSWORD)
    page = client.get(f"/m/contests/entries/{entrant.pk}/").content.decode()
    assert "/withdraw/" not in page
    entrant.refresh_from_db()
    assert entrant.status == status


def test_a_titled_entrant_after_the_final_gets_the_same_refusal(contest, member):
    entrant = entrant_register(competition=contest, user=member)
    Entrant.objects.filter(pk=entrant.pk).update(status="titled")
    Stage.objects.filter(competition=contest, kind="final").update(status="locked")
    with pytest.raises(Conflict) as refused:
        entrant_withdraw(actor=member, entrant=entrant, reason="身体原因")
    assert str(refused.value) == services.WITHDRAW_CLOSED


def test_an_entry_on_a_record_merged_into_the_members_withdraws(contest, member, client, tree):
    """The entry was made under a record since merged into the member's: it is theirs
    (listed on their page), so they may withdraw it."""
    old = make_person(tree.cy_grass, "王建国", phone="13900001234")
    works = Unit.objects.create(name="朝阳另一公司", org_unit=tree.cy_grass)
    entrant = Entrant.objects.create(
        competition=contest, person=old, number=1, age=40, employer=works, route="self"
    )
    Person.objects.filter(pk=old.pk).update(merged_into=Person.objects.get(user=member))
    client.login(username="member_wang", password=PASSWORD)
    page = client.get(f"/m/contests/entries/{entrant.pk}/")
    assert page.status_code == 200 and "/withdraw/" in page.content.decode()
    client.post(f"/m/contests/entries/{entrant.pk}/withdraw/", {"reason": "工作安排冲突"})
    entrant.refresh_from_db()
    assert entrant.status == "withdrawn"
    (event,) = events(contest, "contests.withdraw")
    assert event["changes"]["by"] == [None, "self"]


def test_an_employer_elsewhere_in_the_registry_is_found_not_duplicated(contest, tree):
    """An employer filed under Haidian is the same employer when a Chaoyang contest's
    entrant names it (recusal by employer compares units): found, not made again."""
    institute = Unit.objects.create(name="中关村某研究所", org_unit=tree.hd_grass)
    Unit.objects.create(name="一车间", kind="team", org_unit=tree.hd_grass)
    units = Unit.objects.count()
    entrant = anonymous(contest, employer="中关村某研究所")
    assert entrant.employer == institute and Unit.objects.count() == units
    # A team elsewhere is not an employer to join: a new unit under the organiser.
    other = anonymous(contest, name="李四", phone="13900139000", employer="一车间")
    assert other.employer.org_unit == tree.chaoyang and Unit.objects.count() == units + 1


def test_the_entrants_api_pages_instead_of_cutting_off(contest, users, client):
    works = Unit.objects.create(name="朝阳某厂", org_unit=contest.org_unit)
    now = timezone.now()
    Entrant.objects.bulk_create(
        Entrant(competition=contest, person=make_person(contest.org_unit, f"选手{n}"),
                number=n, age=30, employer=works, route="self", registered_at=now)
        for n in range(1, 53)
    )  # fmt: skip
    client.login(username="cy_staff", password=PASSWORD)
    url = f"/api/v1/contests/competitions/{contest.pk}/entrants"
    first, second = client.get(url).json(), client.get(url + "?page=2").json()
    assert first["count"] == 52 and len(first["items"]) == 50
    assert [e["number"] for e in second["items"]] == [51, 52]


def test_closing_again_through_the_page_does_not_claim_it_closed_now(contest, client):
    client.login(username="cy_staff", password=PASSWORD)
    url = f"/contests/c/{contest.pk}/close/"
    first = client.post(url, follow=True).content.decode()
    assert "报名已截止，竞赛规程已锁定" in first
    again = client.post(url, follow=True).content.decode()
    assert "本次未作改动" in again and "报名已截止，竞赛规程已锁定" not in again
    assert len(events(contest, "contests.registration_close")) == 1


def test_the_nominate_page_keeps_its_search_encoded(contest, nominators, tree, client):
    employer = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    person = make_person(tree.cy_grass, "赵郁", VALID_IDS[0], employer=employer)
    client.login(username="cy_nominator", password=PASSWORD)
    response = client.post(
        f"/contests/c/{contest.pk}/nominate/?q=赵%26x%3D1", {"person": person.pk}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?q=%E8%B5%B5%26x%3D1")


def test_the_entrants_page_offers_controls_by_the_competitions_unit(contest, users, tree, client):
    """A Haidian post with contests.manage holds it at Haidian, not at this Chaoyang
    competition: no close button for it here (and no page at all: 404)."""
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/contests/c/{contest.pk}/entrants/")
    assert page.context["may_manage"] is True
    from gonghui.orgs.models import Post, Role

    two_posts = make_user("cy_viewer2", tree.chaoyang, "grassroots_staff")
    Post.objects.create(
        user=two_posts, org_unit=tree.haidian, role=Role.objects.get(code="district_staff")
    )
    client.login(username="cy_viewer2", password=PASSWORD)
    page = client.get(f"/contests/c/{contest.pk}/entrants/")
    assert page.status_code == 200
    assert page.context["may_manage"] is False and page.context["may_nominate"] is True
