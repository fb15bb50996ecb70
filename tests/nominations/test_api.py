import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.audit.models import AuditEvent
from gonghui.files.models import Attachment
from gonghui.nominations import services
from gonghui.nominations.models import Nomination
from gonghui.nominations.services import objections
from gonghui.nominations.workflow import State
from gonghui.people.services import MERGED
from gonghui.registry.services import person_merge
from tests.factories import PASSWORD, make_person
from tests.nominations.conftest import MATERIALS, at, stored_files


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_campaign_shows_the_quota_lines_in_scope(client, campaign, nominees):
    client.login(username="cy_staff", password=PASSWORD)
    detail = client.get(f"/api/v1/nominations/campaigns/{campaign.pk}").json()
    assert [(q["org_unit"], q["used"], q["allowed"]) for q in detail["quota_lines"]] == [
        ("朝阳区总工会", 2, 4)
    ]
    assert detail["quota_lines"][0]["rules"][0]["rule"] == "各推荐单位中一线职工不低于 50%"


def test_the_nominees_listed_are_those_in_scope(client, campaign, nominees):
    client.login(username="cy_staff", password=PASSWORD)
    listed = client.get(f"/api/v1/nominations/campaigns/{campaign.pk}/nominations").json()
    assert sorted(i["name"] for i in listed["items"]) == ["武润泽", "赵郁"]  # not Haidian's


def test_staff_review_a_batch_after_its_notice(client, clock, campaign, nominees, users):
    zhao, wu = nominees["赵郁"], nominees["武润泽"]
    client.login(username="cy_staff", password=PASSWORD)
    refused = post(
        client,
        f"/api/v1/nominations/campaigns/{campaign.pk}/advance",
        {"ids": [zhao.pk, wu.pk], "action": "first_pass"},
    )
    assert refused.status_code == 409 and "不能初审通过" in refused.json()["message"]
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[zhao, wu]
    )
    clock.move_to(at(2025, 9, 29))
    client.login(username="cy_staff", password=PASSWORD)
    done = post(
        client,
        f"/api/v1/nominations/campaigns/{campaign.pk}/advance",
        {"ids": [zhao.pk, wu.pk], "action": "first_pass", "opinion": "同意"},
    )
    assert done.status_code == 200
    assert {n["state"] for n in done.json()} == {State.FIRST_PASSED}
    one = client.get(f"/api/v1/nominations/nominations/{zhao.pk}").json()
    assert [e["title"] for e in one["timeline"]][-2:] == ["基层公示", "初审通过"]


def test_the_public_notices_list_their_nominees(client, campaign, nominees, users):
    notice = services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[nominees["赵郁"]]
    )
    assert client.get("/api/v1/notices/").json()[0]["open"] is True
    listed = client.get(f"/api/v1/notices/{notice.pk}").json()
    assert listed["headers"] == ["姓名", "性别", "工作单位及职务", "主要事迹（简要）"]
    assert listed["rows"][0]["values"][0] == "赵郁"


def test_the_public_objects_to_a_listed_nominee_and_follows_it(client, campaign, nominees, users):
    notice = services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[nominees["赵郁"]]
    )
    bad = post(
        client,
        f"/api/v1/notices/{notice.pk}/objections",
        {"nomination_id": nominees["钱学"].pk, "text": "反映问题的具体事实和线索"},
    )
    assert bad.status_code == 422
    filed = post(
        client,
        f"/api/v1/notices/{notice.pk}/objections",
        {
            "nomination_id": nominees["赵郁"].pk,
            "text": "反映问题的具体事实和线索",
            "anonymous": True,
        },
    )
    assert filed.status_code == 201
    reference = filed.json()["reference"]
    status = client.get(f"/api/v1/notices/objections/{reference}").json()
    assert (status["nominee"], status["status"]) == ("赵郁", "待受理")
    assert client.get("/api/v1/notices/objections/NOSUCHREFERENCE1").status_code == 404


def test_reference_look_ups_are_limited_per_source(db, client, monkeypatch):
    monkeypatch.setattr(objections, "LOOKUP_LIMIT", 2)
    for _ in range(2):
        assert client.get("/api/v1/notices/objections/NOSUCHREFERENCE1").status_code == 404
    assert "过于频繁" in client.get("/api/v1/notices/objections/NOSUCHREFERENCE1").json()["message"]
    assert "过于频繁" in client.get("/notices/lookup/?ref=ABC").content.decode()


def test_advance_ids_out_of_range_are_a_422_naming_them(client, campaign, nominees):
    client.login(username="cy_staff", password=PASSWORD)
    for bad in (0, -1, 2**63, 10**20):
        response = post(
            client,
            f"/api/v1/nominations/campaigns/{campaign.pk}/advance",
            {"ids": [nominees["赵郁"].pk, bad], "action": "first_pass"},
        )
        assert response.status_code == 422, bad
        assert "ids" in json.dumps(response.json())


# --- A nomination saved with its nomination form (multipart, as the nominate page posts) -----

FORM_PDF = b"%PDF-1.4\n%nomination form\n"


def materials(person, *, file=FORM_PDF, **extra):
    """The multipart parts of a nomination: its materials and the nomination form."""
    return {
        "person_id": person.pk,
        "categories": ["一线职工"],
        **{k: str(v) for k, v in MATERIALS.items()},
        "file": SimpleUploadedFile("推荐表.pdf", file),
        **extra,
    }


def events_since(last: int) -> list[str]:
    return sorted(AuditEvent.objects.filter(id__gt=last).values_list("action", flat=True))


def last_event() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture
def sun(tree):
    return make_person(tree.cy_grass, "孙明", is_front_line=True)


def test_the_api_saves_a_nomination_with_its_form_and_submits_it(client, campaign, tree, sun):
    client.login(username="cy_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations",
        materials(sun, submit="true"),
    )
    assert response.status_code == 201, response.content
    saved = response.json()
    assert (saved["name"], saved["state"], saved["categories"]) == (
        "孙明",
        State.NOMINATED,
        ["一线职工"],
    )
    nomination = Nomination.objects.get(pk=saved["id"])
    (form,) = Attachment.objects.filter(object_id=str(nomination.pk))
    assert (form.name, form.org_unit) == ("推荐表.pdf", tree.cy_grass)
    assert events_since(before) == ["files.add", "nominations.create", "nominations.nominate"]


def test_the_api_saves_a_draft_with_its_form(client, campaign, sun):
    client.login(username="cy_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations", materials(sun)
    )
    assert response.status_code == 201 and response.json()["state"] == State.DRAFT
    assert events_since(before) == ["files.add", "nominations.create"]


def test_a_bad_file_is_refused_by_name_and_nothing_is_written(client, campaign, sun):
    client.login(username="cy_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations",
        materials(sun, file=b"MZ\x90\x00 not a form", submit="true"),
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "file": "只接受 PDF、PNG、JPEG、Word (.docx)、Excel (.xlsx) 文件"
    }
    assert not Nomination.objects.exists() and not Attachment.objects.exists()
    assert events_since(before) == []


def test_a_refused_submission_leaves_no_draft(client, campaign, sun):
    client.login(username="cy_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations",
        {**materials(sun, submit="true"), "meeting_result": ""},
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"meeting_result": "推荐上报前须填写民主评议结果"}
    assert not Nomination.objects.exists() and not Attachment.objects.exists()
    assert events_since(before) == []


def test_a_submission_over_the_quota_leaves_neither_the_draft_nor_its_form(
    client, campaign, quota_full, sun, media
):
    forms = set(Attachment.objects.values_list("file", flat=True))
    client.login(username="cy_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations", materials(sun, submit="true")
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"quota": "朝阳区总工会的名额已用完（4/4）"}
    assert not Nomination.objects.filter(person=sun).exists() and events_since(before) == []
    assert set(Attachment.objects.values_list("file", flat=True)) == forms
    assert stored_files(media) == forms  # the refused form's file deleted too


def test_a_saved_nominations_form_stays_in_storage(client, campaign, sun, media):
    client.login(username="cy_grass", password=PASSWORD)
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations", materials(sun)
    )
    assert response.status_code == 201
    (form,) = Attachment.objects.filter(object_id=str(response.json()["id"]))
    assert stored_files(media) == {form.file.name}


def test_a_union_nominates_only_its_own_people(client, campaign, users, tree, hd_grass_user):
    chaoyang = make_person(tree.cy_grass, "孙明", is_front_line=True)
    client.login(username="hd_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations", materials(chaoyang)
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "person_id": "没有这个人员，或不是本单位（或下级工会）的人员"
    }
    assert not Nomination.objects.exists() and events_since(before) == []


def test_a_merged_record_is_refused_as_the_service_refuses_it(client, campaign, users, tree):
    kept = make_person(tree.cy_grass, "孙明", is_front_line=True)
    merged = make_person(tree.cy_grass, "孙明", is_front_line=True)
    person_merge(actor=users.cy, survivor=kept, loser=merged)
    client.login(username="cy_grass", password=PASSWORD)
    response = client.post(
        f"/api/v1/nominations/campaigns/{campaign.pk}/nominations", materials(merged)
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"person_id": MERGED}
    assert not Nomination.objects.exists() and not Attachment.objects.exists()


def test_a_union_replaces_its_nominee_with_the_new_ones_form(client, campaign, nominees, sun):
    wu = nominees["武润泽"]
    client.login(username="cy_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/nominations/{wu.pk}/replace",
        materials(sun, reason="本人因病申请退出", submit="true"),
    )
    assert response.status_code == 201, response.content
    new = Nomination.objects.get(pk=response.json()["id"])
    assert (new.person, new.replaces_id, new.state) == (sun, wu.pk, State.NOMINATED)
    wu.refresh_from_db()
    assert (wu.state, wu.reason) == (State.WITHDRAWN, "本人因病申请退出")
    assert events_since(before) == [
        "files.add",
        "nominations.create",
        "nominations.nominate",
        "nominations.withdraw",
    ]


def test_another_districts_nominee_is_not_found_to_replace(
    client, campaign, nominees, users, tree, hd_grass_user
):
    qian = nominees["钱学"]
    sun = make_person(tree.cy_grass, "孙明")
    client.login(username="cy_grass", password=PASSWORD)
    before = last_event()
    response = client.post(
        f"/api/v1/nominations/nominations/{qian.pk}/replace", materials(sun, reason="越权")
    )
    assert response.status_code == 404
    qian.refresh_from_db()
    assert qian.state == State.NOMINATED and events_since(before) == []


@pytest.mark.parametrize("path", ["campaign", "replace"])
def test_the_uploads_take_their_declared_parts_only(client, campaign, nominees, sun, path):
    url = {
        "campaign": f"/api/v1/nominations/campaigns/{campaign.pk}/nominations",
        "replace": f"/api/v1/nominations/nominations/{nominees['武润泽'].pk}/replace",
    }[path]
    client.login(username="cy_grass", password=PASSWORD)

    def parts(**extra):
        return materials(
            sun, **({"reason": "本人因病申请退出"} if path == "replace" else {}), **extra
        )

    unknown = client.post(url, parts(note="x"))
    assert unknown.status_code == 422
    assert unknown.json()["fields"] == {"note": "不接受此字段（接口未定义）"}
    extra = client.post(url, parts(other=SimpleUploadedFile("b.pdf", FORM_PDF)))
    assert extra.status_code == 422
    assert extra.json()["fields"] == {"other": "不接受此文件（接口未定义）"}
    for name, twice in (
        ("brief", ["扎根一线", "带领班组"]),
        ("file", [SimpleUploadedFile("a.pdf", FORM_PDF), SimpleUploadedFile("b.pdf", FORM_PDF)]),
    ):
        repeated = client.post(url, {**parts(), name: twice})
        assert repeated.status_code == 422
        assert repeated.json()["fields"] == {name: "只能给出一次"}
    as_json = post(client, url, {"person_id": sun.pk})
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.json()["message"]
    assert Nomination.objects.count() == 3  # the nominees fixture's
