"""A masked resident ID beside a birth date leaves a few hundred candidates; nothing may
confirm one of them for a post that may not see full numbers (docs/privacy.md). These
tests play the attacker of issue 15: chaoyang_jc saw 11**************31 and 1990-03-07, and
the look-up confirmed the number after 52 guesses, unthrottled and unaudited."""

import io
import json
import re
from datetime import date

import openpyxl
import pytest
from stdnum import numdb

from gonghui.audit.models import AuditEvent
from gonghui.audit.selectors import event_list
from gonghui.common import pii
from gonghui.common.errors import Conflict, NotFound, Throttled, ValidationFailed
from gonghui.common.imports import ImportRejected
from gonghui.orgs.models import Post, Role
from gonghui.people import selectors, services
from gonghui.people.models import Person, TransferRequest
from gonghui.perks.cards import imports
from gonghui.registry import excel
from tests.factories import PASSWORD, make_person, make_unit, make_user
from tests.registry.test_excel import workbook

SECRET = "110105199003072231"  # 朝阳, born 1990-03-07: shown as 11**************31


def candidates(masked: str, birth: str) -> list[str]:
    """What the attacker derives from the mask and the birth date: every assigned region
    code under the two shown digits, every sequence, the shown sex digit, and only those
    whose check digit is the shown one."""
    head, tail = masked[:2], masked[-2:]
    regions = sorted(
        f"{head}{c}"
        for c in (f"{n:04d}" for n in range(10000))
        if any("county" in props for _, props in numdb.get("cn/loc").info(f"{head}{c}"))
    )
    found = []
    for region in regions:
        for seq in range(100):
            body = f"{region}{birth}{seq:02d}{tail[0]}"
            if pii.id_check_digit(body) == tail[1]:
                found.append(body + tail[1])
    return found


BORN = date(1990, 3, 7)


@pytest.fixture
def victim(tree):
    return make_person(tree.cy_grass, "赵郁", SECRET, birth_date=BORN)


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def _candidates_for(client, victim):
    page = client.get("/people/").content.decode()
    masked = pii.mask("id_number", SECRET)
    assert masked in page and "1990年3月7日" in page  # what the attacker sees
    found = candidates(masked, "19900307")
    assert SECRET in found and 100 < len(found) < 2000
    # The secret late in the list: the first guesses miss.
    found.remove(SECRET)
    return found[:40] + [SECRET]


@pytest.mark.django_db
def test_without_the_reveal_permission_the_lookup_confirms_nothing(client, victim, users):
    client.login(username="cy_grass", password=PASSWORD)
    guesses = _candidates_for(client, victim)
    answers = {
        (r.status_code, r.content)
        for r in (post_json(client, "/api/v1/people/lookup", {"id_number": g}) for g in guesses)
    }
    assert len(answers) == 1 and next(iter(answers))[0] == 403  # the same for every guess
    pages = [client.post("/people/lookup/", {"id_number": g}) for g in (guesses[0], SECRET)]
    assert {p.status_code for p in pages} == {422}
    errors = [re.findall(r'class="errorlist"[^>]*>(.*?)</ul>', p.content.decode()) for p in pages]
    assert errors[0] == errors[1] and "权限" in errors[0][0]
    assert "按身份证号精确查找" not in client.get("/people/").content.decode()  # no form offered
    assert not events("people.lookup")  # nothing was looked up


@pytest.mark.django_db
def test_with_the_permission_lookups_are_throttled_and_each_audited(
    client, victim, users, settings
):
    settings.ID_PROBES_PER_MINUTE, settings.ID_PROBES_PER_DAY = 5, 100
    client.login(username="cy_grass", password=PASSWORD)
    guesses = _candidates_for(client, victim)
    client.login(username="cy_staff", password=PASSWORD)  # district staff: people.view_pii
    statuses = [
        post_json(client, "/api/v1/people/lookup", {"id_number": g}).status_code for g in guesses
    ]
    assert statuses[:5] == [404] * 5 and set(statuses[5:]) == {429}  # the secret never 200
    looked = events("people.lookup")
    assert len(looked) == 5
    for event in looked:
        body = json.loads(event.body)
        assert body["changes"]["found"] == [None, False]
        assert re.fullmatch(r"11\*{14}31", body["changes"]["id_number"][1])
        assert body["actor"]["name"] == "cy_staff" and body["actor"]["post"]
    assert len(events("people.id_probes_throttled")) == 1  # the first refusal of the window
    assert not AuditEvent.objects.filter(body__contains=SECRET[2:16]).exists()
    # The web page draws on the same budget.
    page = client.post("/people/lookup/", {"id_number": SECRET})
    assert page.status_code == 422 and "过于频繁" in page.content.decode()


@pytest.mark.django_db
def test_a_hit_is_audited_and_the_day_has_its_own_limit(client, victim, users, settings):
    settings.ID_PROBES_PER_MINUTE, settings.ID_PROBES_PER_DAY = 100, 2
    client.login(username="cy_staff", password=PASSWORD)
    found = client.post("/people/lookup/", {"id_number": SECRET})
    assert found.status_code == 302 and found.url == f"/people/{victim.pk}/"
    (event,) = events("people.lookup")
    assert json.loads(event.body)["changes"]["found"] == [None, True]
    assert event.object_id == str(victim.pk) and SECRET not in event.body
    assert post_json(client, "/api/v1/people/lookup", {"id_number": SECRET}).status_code == 200
    refused = post_json(client, "/api/v1/people/lookup", {"id_number": SECRET})
    assert refused.status_code == 429 and "今日" in refused.json()["message"]
    # Out of scope is "not found", as absent: Haidian's staff learn nothing.
    client.login(username="hd_staff", password=PASSWORD)
    assert post_json(client, "/api/v1/people/lookup", {"id_number": SECRET}).status_code == 404


# --- One person, one record: collisions ---------------------------------------------------


@pytest.mark.django_db
def test_registering_a_number_in_scope_says_so_and_links_the_record(
    client, victim, users, settings
):
    settings.ID_PROBES_PER_MINUTE = 2
    client.login(username="cy_grass", password=PASSWORD)
    data = {"name": "赵郁", "id_number": SECRET, "org_unit_id": victim.org_unit_id}
    clash = post_json(client, "/api/v1/people/", data)
    assert clash.status_code == 409 and clash.json()["person_id"] == victim.pk
    assert "一人一档" in clash.json()["message"]
    page = client.post(
        "/people/new/", {"name": "赵郁", "id_number": SECRET, "org_unit": victim.org_unit_id}
    )
    assert page.status_code == 200 and f'href="/people/{victim.pk}/"' in page.content.decode()
    assert len(events("people.id_collision")) == 2
    # Collisions draw on the look-up's budget: a third in the minute is refused.
    third = post_json(client, "/api/v1/people/", data)
    assert third.status_code == 429
    assert Person.objects.count() == 1


@pytest.fixture
def asked(client, tree, victim, users):
    """Haidian's staff register 赵玉 with the number of Chaoyang's 赵郁 (through the API):
    the answer."""
    client.login(username="hd_staff", password=PASSWORD)
    data = {"name": "赵玉", "id_number": SECRET, "org_unit_id": tree.hd_grass.pk}
    return post_json(client, "/api/v1/people/", data)


@pytest.mark.django_db
def test_a_number_registered_elsewhere_becomes_a_transfer_request(tree, victim, asked):
    answer = asked
    assert answer.status_code == 409 and answer.json()["code"] == "transfer_requested"
    assert answer.json()["message"] == services.TRANSFER_MESSAGE
    text = answer.content.decode()
    for secret in ("朝阳", "赵郁", str(victim.org_unit_id), f'"person_id": {victim.pk}'):
        assert secret not in text
    request = TransferRequest.objects.get()
    assert (request.person, request.to_unit, request.decider) == (victim, tree.hd_grass, tree.city)
    assert (request.status, request.name) == ("pending", "赵玉")
    (event,) = events("people.transfer_request")
    body = json.loads(event.body)
    assert event.org_unit_id == tree.hd_grass.pk and body["object"]["org_unit"] == tree.hd_grass.pk
    assert set(body["changes"]) == {"to_unit", "name", "reason"} and "朝阳" not in event.body


@pytest.mark.django_db
def test_asking_again_joins_the_pending_request(client, tree, asked):
    # Asking again (the web form) joins the pending request; the requester sees its status.
    page = client.post(
        "/people/new/",
        {"name": "赵玉", "id_number": SECRET, "org_unit": tree.hd_grass.pk},
        follow=True,
    )
    text = page.content.decode()
    assert services.TRANSFER_MESSAGE in text and "待审批" in text and "赵玉" in text
    assert "朝阳" not in text and "赵郁" not in text
    assert TransferRequest.objects.count() == 1 and len(events("people.id_collision")) == 1
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_the_union_above_both_places_decides_a_transfer(client, tree, victim, users, asked):
    request = TransferRequest.objects.get()
    # The union above both places decides: the city, not either district.
    assert not selectors.transfer_requests_to_decide(actor=users.cy).exists()
    assert not selectors.transfer_requests_to_decide(actor=users.hd).exists()
    client.login(username="admin_t", password=PASSWORD)
    listed = client.get("/people/transfers/").content.decode()
    assert "赵郁" in listed and "朝阳某公司工会" in listed and "海淀某公司工会" in listed
    done = client.post(f"/people/transfers/{request.pk}/approve/", {"note": "核实为同一人"})
    assert done.status_code == 302
    victim.refresh_from_db()
    request.refresh_from_db()
    assert victim.org_unit == tree.hd_grass and request.status == "approved"
    assert request.decided_by == users.admin
    assert events("people.transfer_approve") and events("people.update")
    again = client.post(f"/people/transfers/{request.pk}/approve/", {}, follow=True)
    assert "已处理" in again.content.decode()


@pytest.mark.django_db
def test_the_requester_sees_its_request_approved(client, victim, users, asked):
    request = TransferRequest.objects.get()
    services.transfer_request_approve(actor=users.admin, request=request, note="核实为同一人")
    client.login(username="hd_staff", password=PASSWORD)
    mine = client.get("/people/transfers/").content.decode()
    assert "已同意转入" in mine and f"/people/{victim.pk}/" in mine


@pytest.mark.django_db
def test_within_one_district_its_staff_decide_and_may_refuse(tree, users):
    other = make_unit(tree.cy_street, "grassroots", "CY-G2", "朝阳另一公司工会")
    clerk = make_user("cy_grass2", other, "grassroots_staff")
    holder = make_person(tree.cy_grass, "孙明", SECRET, birth_date=BORN)
    with pytest.raises(services.TransferRequested) as answer:
        services.person_create(
            actor=clerk, org_unit=other, data={"name": "孙明", "id_number": SECRET}
        )
    request = answer.value.request
    assert request.decider == tree.cy_street
    assert list(selectors.transfer_requests_to_decide(actor=users.cy)) == [request]
    with pytest.raises(ValidationFailed):
        services.transfer_request_refuse(actor=users.cy, request=request, note=" ")
    services.transfer_request_refuse(actor=users.cy, request=request, note="非同一人")
    request.refresh_from_db()
    holder.refresh_from_db()
    assert request.status == "refused" and holder.org_unit == tree.cy_grass
    assert events("people.transfer_refuse")
    with pytest.raises(NotFound):  # nobody below the deciding union decides
        services.transfer_request_approve(actor=users.cy_grass, request=request)


@pytest.mark.django_db
def test_changing_a_number_to_one_registered_elsewhere_is_a_request_too(tree, users):
    make_person(tree.cy_grass, "赵郁", SECRET, birth_date=BORN)
    mine = make_person(tree.hd_grass, "赵玉", None, birth_date=BORN)
    with pytest.raises(services.TransferRequested):
        services.person_update(actor=users.hd, person=mine, data={"id_number": SECRET})
    mine.refresh_from_db()
    assert mine.id_number is None  # the update was rolled back; the request was kept
    assert TransferRequest.objects.get().to_unit == tree.hd_grass


# --- The registry import --------------------------------------------------------------------


def refused(actor, rows) -> list:
    with pytest.raises(ImportRejected) as err:
        excel.registry_import(actor=actor, data=workbook(rows), filename="x.xlsx")
    return err.value.errors


@pytest.mark.django_db
def test_an_import_row_registered_elsewhere_is_a_transfer_request(tree, victim, users):
    row = {"姓名": "赵玉", "身份证号": SECRET, "所属工会编码": "HD-G1"}
    (error,) = refused(users.hd, [row])
    assert error.reason == services.TRANSFER_MESSAGE and error.value == "11**************31"
    request = TransferRequest.objects.get()
    assert (request.to_unit, request.decider, request.reason) == (
        tree.hd_grass,
        tree.city,
        "导入档案第 2 行",
    )
    # Importing the same file again asks nothing twice.
    refused(users.hd, [row])
    assert TransferRequest.objects.count() == 1


@pytest.mark.django_db
def test_import_rows_check_numbers_within_the_budget(tree, victim, users, settings):
    """A refused file writes nothing, so each of its rows told whether its number is on
    record: for a post that may not see full numbers, every such row counts."""
    settings.ID_PROBES_PER_DAY = 10
    rows = [
        {"姓名": "某", "身份证号": guess, "所属工会编码": "CY-G1"}
        for guess in candidates("11**************31", "19900307")[:30]
    ]
    rows.append({"姓名": "", "所属工会编码": "NOPE"})  # refused on purpose: nothing written
    errors = refused(users.cy_grass, rows)
    assert len(errors) == 1 and "今日" in errors[0].reason  # no row told anything
    assert events("people.id_probes_throttled")
    # The district's staff may see full numbers: matching its own records costs nothing.
    settings.ID_PROBES_PER_DAY = 0
    result = excel.registry_import(
        actor=users.cy,
        data=workbook([{"身份证号": SECRET, "所属工会编码": "CY-G1", "职务": "班组长"}]),
        filename="x.xlsx",
    )
    assert result.people_updated == 1
    errors = refused(users.cy_grass, [{"身份证号": SECRET, "所属工会编码": "CY-G1"}])
    assert len(errors) == 1 and "今日" in errors[0].reason


def card_workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["姓名", "身份证号"])
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_card_import_rows_count_for_posts_without_the_reveal_permission(
    tree, victim, users, settings
):
    settings.ID_PROBES_PER_DAY = 1  # the budget is asked before any row is answered
    data = card_workbook([("赵郁", g) for g in candidates("11**************31", "19900307")[:3]])
    with pytest.raises(Throttled):
        imports.cards_import(actor=users.cy_grass, data=data, filename="名单.xlsx")
    (event,) = events("people.id_probes_throttled")
    assert json.loads(event.body)["changes"]["count"] == [None, 3]


# --- A wrong guess costs as much as a right one (the red-team review of section 1) ----------
# A miss used to be free: it made a record or changed one (200) and only the hit (409) was
# counted, so cycling one record's number through the candidates rebuilt a number after
# 148 PATCHes in 7.5 s, and even over budget a miss answered 201 and the hit 429.


def patch_json(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_cycling_a_records_number_through_the_candidates_spends_the_budget(
    client, victim, users, settings
):
    settings.ID_PROBES_PER_MINUTE, settings.ID_PROBES_PER_DAY = 100, 5
    client.login(username="cy_grass", password=PASSWORD)
    guesses = _candidates_for(client, victim)
    dummy = post_json(
        client,
        "/api/v1/people/",
        {"name": "某某", "org_unit_id": victim.org_unit_id, "no_id_reason": "无"},
    )
    assert dummy.status_code == 201  # no number: nothing to pay
    url = f"/api/v1/people/{dummy.json()['id']}"
    answers = [patch_json(client, url, {"id_number": g}) for g in guesses]
    assert [a.status_code for a in answers[:5]] == [200] * 5  # five guesses: the budget
    refused = {(a.status_code, a.content) for a in answers[5:]}
    assert len(refused) == 1 and next(iter(refused))[0] == 429  # the secret among them
    assert answers[-1].content == answers[-2].content  # the secret's answer, a miss's answer
    dummy_now = Person.objects.get(pk=dummy.json()["id"])
    assert dummy_now.id_number == guesses[4]  # the last paid guess; nothing after it tried
    assert len(events("people.id_probes_throttled")) == 1
    assert not events("people.id_collision")


@pytest.mark.django_db
def test_over_budget_registering_answers_alike_whether_the_number_is_on_record(
    client, victim, users, settings
):
    settings.ID_PROBES_PER_MINUTE, settings.ID_PROBES_PER_DAY = 0, 0
    client.login(username="cy_grass", password=PASSWORD)
    miss = next(c for c in candidates("11**************31", "19900307") if c != SECRET)
    answers = [
        post_json(
            client,
            "/api/v1/people/",
            {"name": "甲", "id_number": number, "org_unit_id": victim.org_unit_id},
        )
        for number in (miss, SECRET)
    ]
    assert [a.status_code for a in answers] == [429, 429]
    assert answers[0].content == answers[1].content
    pages = [
        client.post("/people/new/", {"name": "甲", "id_number": n, "org_unit": victim.org_unit_id})
        for n in (miss, SECRET)
    ]
    assert [p.status_code for p in pages] == [200, 200]
    errors = [re.findall(r'class="errorlist"[^>]*>(.*?)</ul>', p.content.decode()) for p in pages]
    assert errors[0] == errors[1] and "今日" in errors[0][0]
    assert Person.objects.count() == 1  # nothing written
    # A post that may see full numbers there pays for hits only: a new person is free.
    client.login(username="cy_staff", password=PASSWORD)
    new = post_json(
        client,
        "/api/v1/people/",
        {"name": "甲", "id_number": miss, "org_unit_id": victim.org_unit_id},
    )
    assert new.status_code == 201


@pytest.mark.django_db
def test_a_number_paid_for_is_not_charged_again_when_it_collides(victim, users, settings):
    settings.ID_PROBES_PER_MINUTE, settings.ID_PROBES_PER_DAY = 1, 1
    with pytest.raises(services.AlreadyRegistered):
        services.person_create(
            actor=users.cy_grass, org_unit=victim.org_unit, data={"name": "甲", "id_number": SECRET}
        )
    assert len(events("people.id_collision")) == 1 and not events("people.id_probes_throttled")


@pytest.mark.django_db
def test_an_update_refuses_a_number_changed_since_it_was_paid_for(victim, users, monkeypatch):
    """What a write pays for is decided before its transaction (so that a refusal's audit
    event is kept): a record whose number changed in between is not written unpaid."""
    mine, other = [c for c in candidates("11**************31", "19900307") if c != SECRET][:2]
    person = make_person(victim.org_unit, "某", mine, birth_date=BORN)
    decide = services._new_number_paid

    def then_someone_else_writes(*args):
        answer = decide(*args)  # "mine" again: nothing new, nothing paid
        Person.objects.filter(pk=person.pk).update(id_number=other)
        return answer

    monkeypatch.setattr(services, "_new_number_paid", then_someone_else_writes)
    with pytest.raises(Conflict):
        services.person_update(actor=users.cy_grass, person=person, data={"id_number": mine})
    person.refresh_from_db()
    assert person.id_number == other


@pytest.mark.django_db
def test_import_rows_with_a_record_id_count_each_new_number(tree, victim, users, settings):
    """A row with 记录ID whose number missed was never counted: 363 rows {记录ID: dummy,
    身份证号: candidate} tested every candidate for one probe, and the refused file's one
    error named the secret's record ("一人一档，记录ID 1")."""
    settings.ID_PROBES_PER_DAY = 50
    dummy = make_person(tree.cy_grass, "某", None, birth_date=BORN)
    guesses = candidates("11**************31", "19900307")
    errors = refused(users.cy_grass, [{"记录ID": dummy.pk, "身份证号": g} for g in guesses])
    assert len(errors) == 1 and "今日" in errors[0].reason and errors[0].value == ""
    # One row each for many records: the same.
    others = [make_person(tree.cy_grass, f"人{i}", None, birth_date=BORN) for i in range(60)]
    rows = [{"记录ID": p.pk, "身份证号": g} for p, g in zip(others, guesses, strict=False)]
    errors = refused(users.cy_grass, rows)
    assert len(errors) == 1 and "今日" in errors[0].reason
    assert Person.objects.filter(id_number__isnull=False).count() == 1  # nothing written
    # An accepted file counts them too (a miss gave the record the number), in one event.
    settings.ID_PROBES_PER_DAY = 1000
    result = excel.registry_import(
        actor=users.cy_grass,
        data=workbook(
            [{"记录ID": p.pk, "身份证号": g} for p, g in zip(others[:3], guesses[:3], strict=True)]
        ),
        filename="x.xlsx",
    )
    assert result.people_updated == 3
    assert json.loads(events("people.id_check")[-1].body)["changes"]["count"] == [None, 3]
    # A row keeping its record's own number asks nothing.
    before = len(events("people.id_check"))
    excel.registry_import(
        actor=users.cy_grass,
        data=workbook([{"记录ID": others[0].pk, "身份证号": guesses[0], "职务": "班组长"}]),
        filename="x.xlsx",
    )
    assert len(events("people.id_check")) == before


@pytest.mark.django_db
def test_an_import_names_the_record_only_to_a_post_that_may_see_its_number(
    tree, victim, users, settings
):
    settings.ID_PROBES_PER_DAY = 1000
    dummy = make_person(tree.cy_grass, "某", None, birth_date=BORN)
    row = {"记录ID": dummy.pk, "身份证号": SECRET}
    (error,) = refused(users.cy_grass, [row])
    assert error.reason == "该身份证号已登记在另一份档案中（一人一档）"
    assert "记录ID" not in error.reason and error.value == "11**************31"
    (error,) = refused(users.cy, [row])  # district staff: people.view_pii there
    assert error.reason == f"该身份证号已登记在另一份档案中（一人一档，记录ID {victim.pk}）"


@pytest.mark.django_db
def test_a_card_import_counts_unless_the_numbers_are_visible_where_the_rows_are(
    tree, victim, users, settings
):
    """The card import asked whether the post held people.view_pii anywhere: a post with it
    in Haidian checked Chaoyang numbers unthrottled."""
    settings.ID_PROBES_PER_DAY = 0
    Post.objects.create(
        user=users.cy_grass,
        org_unit=tree.hd_grass,
        role=Role.objects.get(code="district_staff"),
        scope="node",
    )
    data = card_workbook([("赵郁", g) for g in candidates("11**************31", "19900307")[:20]])
    with pytest.raises(Throttled):
        imports.cards_import(actor=users.cy_grass, data=data, filename="名单.xlsx")
    # Chaoyang's district staff see Chaoyang's numbers in full: their rows about a person
    # there are free (the refusal is about the membership, not the budget).
    data = card_workbook([("赵郁", SECRET)])
    with pytest.raises(ImportRejected) as err:
        imports.cards_import(actor=users.cy, data=data, filename="名单.xlsx")
    assert "会籍" in err.value.errors[0].reason


@pytest.mark.django_db
def test_only_who_sees_the_request_in_its_list_decides_it(tree, users):
    """Deciding asked for people.change at the deciding union only: a post anchored at the
    city but limited to its own node, which never sees the record, refused a request."""
    make_person(tree.cy_grass, "赵郁", SECRET, birth_date=BORN)
    with pytest.raises(services.TransferRequested) as answer:
        services.person_create(
            actor=users.hd, org_unit=tree.hd_grass, data={"name": "赵玉", "id_number": SECRET}
        )
    request = answer.value.request
    node = make_user("city_node", tree.city, "dept_staff", scope="node")
    assert not selectors.transfer_requests_to_decide(actor=node).exists()
    with pytest.raises(NotFound):
        services.transfer_request_refuse(actor=node, request=request, note="随便")
    with pytest.raises(NotFound):
        services.transfer_request_approve(actor=node, request=request)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("pending", None)
    assert not events("people.transfer_refuse") and not events("people.transfer_approve")


@pytest.mark.django_db
def test_after_approval_the_requesting_union_reads_nothing_of_where_the_record_was(tree, users):
    victim = make_person(tree.cy_grass, "赵郁", SECRET, birth_date=BORN, gender="M")
    with pytest.raises(services.TransferRequested) as answer:
        services.person_create(
            actor=users.hd, org_unit=tree.hd_grass, data={"name": "赵玉", "id_number": SECRET}
        )
    services.transfer_request_approve(actor=users.admin, request=answer.value.request)
    hd_auditor = make_user("hd_auditor", tree.haidian, "auditor")
    seen = event_list(actor=hd_auditor, object_id=str(victim.pk))
    (update,) = [e for e in seen if e.action == "people.update"]
    assert json.loads(update.body)["changes"] == {"org_unit": [None, tree.hd_grass.pk]}
    assert not seen.filter(action="people.move_out").exists()
    # The old union's event says where it went; the city reads both ends.
    (leaving,) = events("people.move_out")
    assert json.loads(leaving.body)["changes"]["org_unit"] == [tree.cy_grass.pk, tree.hd_grass.pk]
    assert leaving.org_unit_id == tree.cy_grass.pk
