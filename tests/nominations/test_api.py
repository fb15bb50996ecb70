import json

from gonghui.nominations import services
from gonghui.nominations.workflow import State
from tests.factories import PASSWORD
from tests.nominations.conftest import at


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_staff_api(client, clock, campaign, nominees, users):
    zhao, wu = nominees["赵郁"], nominees["武润泽"]
    client.login(username="cy_staff", password=PASSWORD)
    detail = client.get(f"/api/v1/nominations/campaigns/{campaign.pk}").json()
    assert [(q["org_unit"], q["used"], q["allowed"]) for q in detail["quota_lines"]] == [
        ("朝阳区总工会", 2, 4)
    ]
    assert detail["quota_lines"][0]["rules"][0]["rule"] == "各推荐单位中一线职工不低于 50%"
    listed = client.get(f"/api/v1/nominations/campaigns/{campaign.pk}/nominations").json()
    assert sorted(i["name"] for i in listed["items"]) == ["武润泽", "赵郁"]  # not Haidian's
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


def test_public_notice_and_objection_api(client, campaign, nominees, users):
    notice = services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[nominees["赵郁"]]
    )
    assert client.get("/api/v1/notices/").json()[0]["open"] is True
    listed = client.get(f"/api/v1/notices/{notice.pk}").json()
    assert listed["headers"] == ["姓名", "性别", "工作单位及职务", "主要事迹（简要）"]
    assert listed["rows"][0]["values"][0] == "赵郁"
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
    monkeypatch.setattr(services, "LOOKUP_LIMIT", 2)
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
