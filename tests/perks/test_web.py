"""Giveaway pages: staff set-up with errors next to fields, the lottery steps, live counts,
the report and the venue's list; the member's pages; the public draw and its checks."""

import io
import json
from dataclasses import dataclass
from datetime import timedelta

import openpyxl
import pytest
import time_machine

from gonghui.audit.models import AuditEvent
from gonghui.jobs.models import Job
from gonghui.people.models import Person
from gonghui.perks import passes
from gonghui.perks.giveaways import claims, draw, services, views
from gonghui.perks.models import Claim, Giveaway
from tests.factories import PASSWORD, make_user
from tests.perks.conftest import OPENING, giveaway_for

pytestmark = pytest.mark.django_db


def as_member(client, person_id, username):
    user = make_user(username, None, None)
    Person.objects.filter(pk=person_id).update(user=user)
    client.login(username=username, password=PASSWORD)
    return user


def moment(value):
    return value.astimezone(OPENING.tzinfo).strftime("%Y-%m-%dT%H:%M")


def giveaway_form(venue, tree, **extra):
    data = {
        "title": "新春大礼包",
        "item": "新春大礼包",
        "org_unit": tree.chaoyang.pk,
        "mode": "lottery",
        "stock": "2",
        "per_member": "1",
        "opens_at": moment(OPENING),
        "closes_at": moment(OPENING + timedelta(days=1)),
        "pickup_from": moment(OPENING + timedelta(days=2)),
        "pickup_until": moment(OPENING + timedelta(days=4)),
        "pickup_location": venue.pk,
        "public_value_source": "2026年5月1日福彩3D开奖号码",
    }
    return data | extra


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("stock", "99999999999999999999", "1000000"),
        ("stock", "3000000000", "1000000"),
        ("opens_at", "0001-01-01T00:00", "开始时间应在 1949–2100 年之间"),
    ],
)
def test_a_stock_or_a_moment_out_of_range_is_named_on_the_form(
    client, users, venue, tree, field, value, error
):
    client.login(username="cy_staff", password=PASSWORD)
    with time_machine.travel(OPENING - timedelta(days=3)):
        refused = client.post("/giveaways/new/", giveaway_form(venue, tree, **{field: value}))
    assert refused.status_code == 200 and not Giveaway.objects.exists()
    assert error in str(refused.context["form"].errors[field])


# --- A lottery through the staff pages ------------------------------------------------------


def test_the_form_names_what_is_missing_or_wrong(client, users, venue, tree):
    client.login(username="cy_staff", password=PASSWORD)
    with time_machine.travel(OPENING - timedelta(days=3)):
        bad = client.post("/giveaways/new/", giveaway_form(venue, tree, stock="0", closes_at=""))
    assert bad.status_code == 200 and not Giveaway.objects.exists()
    page = bad.content.decode()
    assert "确保该值大于或等于1" in page or "请确保" in page or "大于或等于" in page
    assert "这个字段是必填项" in page or "必填" in page


def published_on_the_pages(client, venue, tree) -> Giveaway:
    """The lottery Chaoyang's district staff (logged in) set up and publish on the pages,
    three days before it opens."""
    with time_machine.travel(OPENING - timedelta(days=3)):
        client.post("/giveaways/new/", giveaway_form(venue, tree))
        lottery = Giveaway.objects.get()
        client.post(f"/giveaways/{lottery.pk}/publish/")
    lottery.refresh_from_db()
    return lottery


def registered(lottery, members) -> list[str]:
    """Four Chaoyang members register an hour after the opening; their receipts."""
    with time_machine.travel(OPENING + timedelta(hours=1)):
        return [
            claims.claim(person_id=p, giveaway_id=lottery.pk, key=f"web-{p:08d}").claim["receipt"]
            for p in members.cy[:4]
        ]


def test_staff_create_and_publish_a_lottery_through_the_pages(client, users, venue, tree):
    client.login(username="cy_staff", password=PASSWORD)
    with time_machine.travel(OPENING - timedelta(days=3)):
        ok = client.post("/giveaways/new/", giveaway_form(venue, tree))
        lottery = Giveaway.objects.get()
        assert ok.status_code == 302 and ok["Location"] == f"/giveaways/{lottery.pk}/"
        client.post(f"/giveaways/{lottery.pk}/publish/")
        lottery.refresh_from_db()
        assert lottery.status == "published"
        detail = client.get(f"/giveaways/{lottery.pk}/").content.decode()
        assert lottery.commitment in detail and "冻结登记名单" in detail
        public = client.get(f"/draws/{lottery.pk}/").content.decode()
        assert lottery.commitment in public and "摇号时公布" in public


def test_the_list_is_not_frozen_before_registration_closes(client, users, venue, tree, members):
    client.login(username="cy_staff", password=PASSWORD)
    lottery = published_on_the_pages(client, venue, tree)
    registered(lottery, members)
    with time_machine.travel(OPENING + timedelta(hours=1)):
        client.force_login(users.cy)  # sessions end after a while: days have passed
        early = client.post(f"/giveaways/{lottery.pk}/freeze/", follow=True)
        assert "登记尚未截止" in early.content.decode()


def test_a_draw_needs_the_announced_public_value(client, users, venue, tree, members):
    client.login(username="cy_staff", password=PASSWORD)
    lottery = published_on_the_pages(client, venue, tree)
    registered(lottery, members)
    with time_machine.travel(lottery.closes_at + timedelta(minutes=5)):
        client.force_login(users.cy)
        client.post(f"/giveaways/{lottery.pk}/freeze/")
        missing = client.post(f"/giveaways/{lottery.pk}/draw/", {"public_value": ""}, follow=True)
        assert "请填写公开随机数" in missing.content.decode()


@dataclass
class Drawn:
    """A lottery drawn on the pages with the public value 581, and the draw as the rule makes
    it from the receipts."""

    lottery: Giveaway
    expected: draw.Draw


def draw_on_the_pages(client, users, lottery):
    """Chaoyang's district staff freeze the list and draw, five minutes after the close."""
    with time_machine.travel(lottery.closes_at + timedelta(minutes=5)):
        client.force_login(users.cy)
        client.post(f"/giveaways/{lottery.pk}/freeze/")
        return client.post(f"/giveaways/{lottery.pk}/draw/", {"public_value": "581"}, follow=True)


@pytest.fixture
def drawn(client, users, venue, tree, members):
    client.login(username="cy_staff", password=PASSWORD)
    lottery = published_on_the_pages(client, venue, tree)
    receipts = registered(lottery, members)
    draw_on_the_pages(client, users, lottery)
    lottery.refresh_from_db()
    return Drawn(lottery=lottery, expected=draw.draw(lottery.seed, receipts, 2, "581"))


def test_staff_freeze_and_draw_through_the_pages(client, users, venue, tree, members):
    client.login(username="cy_staff", password=PASSWORD)
    lottery = published_on_the_pages(client, venue, tree)
    registered(lottery, members)
    done = draw_on_the_pages(client, users, lottery)
    assert "摇号完成：2 人中签，2 人候补" in done.content.decode()


def test_the_public_draw_page_lists_the_winners_and_places_a_winners_receipt(client, drawn):
    pk = drawn.lottery.pk
    public = client.get(f"/draws/{pk}/").content.decode()
    assert all(r in public for r in drawn.expected.winners)
    first = client.get(f"/draws/{pk}/", {"receipt": drawn.expected.winners[0].lower()})
    assert "中签" in first.content.decode() and "第 1 位" in first.content.decode()


def test_a_waitlist_place_shows_once_the_places_are_written(client, drawn):
    pk = drawn.lottery.pk
    # The waitlist's places are written by a task right after the draw (not run here yet).
    second = client.get(f"/draws/{pk}/", {"receipt": drawn.expected.waitlist[1]})
    assert "候补名次正在生成" in second.content.decode()
    assert services.waitlist_rank(giveaway=drawn.lottery) == 2
    assert services.waitlist_rank(giveaway=drawn.lottery) == 0  # once
    second = client.get(f"/draws/{pk}/", {"receipt": drawn.expected.waitlist[1]})
    assert "候补第 2 位" in second.content.decode()


def test_a_receipt_not_in_the_draw_is_said_so(client, drawn):
    absent = client.get(f"/draws/{drawn.lottery.pk}/", {"receipt": "0000-0000-0000"})
    assert "没有此回执号" in absent.content.decode()


def test_the_published_document_downloads_and_verifies(client, drawn):
    document = json.loads(b"".join([client.get(f"/draws/{drawn.lottery.pk}/draw.json").content]))
    assert draw.verify(document) == []
    assert "朝阳会员" not in json.dumps(document, ensure_ascii=False)


def test_the_verifier_downloaded_is_the_very_module_the_draw_runs(client, drawn):
    verifier = client.get("/draws/draw.py")
    assert verifier.content == open(draw.__file__, "rb").read()  # noqa: SIM115


def test_anonymous_receipt_checks_are_limited(client, users, venue, tree, settings):
    settings_limit = views.RECEIPT_CHECKS
    lottery = giveaway_for(users, venue, tree.chaoyang, mode="lottery", status="drawn")
    Giveaway.objects.filter(pk=lottery.pk).update(drawn_at=OPENING, seed="0" * 64)
    for _ in range(settings_limit):
        assert (
            "查询过于频繁" not in client.get(f"/draws/{lottery.pk}/?receipt=AAAA").content.decode()
        )
    assert "查询过于频繁" in client.get(f"/draws/{lottery.pk}/?receipt=AAAA").content.decode()


# --- Counts, the report, the venue's list -----------------------------------------------------


@pytest.fixture
def reported(client, members, fcfs, settings, tmp_path):
    """The first-come giveaway, its title a formula, with three claims; Chaoyang's district
    staff logged in."""
    settings.MEDIA_ROOT = tmp_path
    fcfs.title = "=HYPERLINK(1)"
    fcfs.save()
    with time_machine.travel(OPENING + timedelta(seconds=3)):
        for p in members.cy[:3]:
            claims.claim(person_id=p, giveaway_id=fcfs.pk, key=f"report-{p:06d}")
    client.login(username="cy_staff", password=PASSWORD)
    return fcfs


def test_the_live_counts(client, users, reported):
    counts = client.get(f"/giveaways/{reported.pk}/counts/").content.decode()
    assert 'hx-trigger="every 3s"' in counts and ">3<" in counts.replace(" ", "")


def test_the_report_page_and_its_chart(client, users, reported):
    report = client.get(f"/giveaways/{reported.pk}/report/")
    assert "朝阳区总工会" in report.content.decode() and "100.0%" not in report.content.decode()
    chart = report.context["r"]["chart"]
    assert sum(chart["series"][0]["data"]) == 3


def test_the_report_workbook_keeps_a_formula_as_text(client, users, reported):
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/giveaways/{reported.pk}/report/?format=xlsx").content)
    )
    title = book["概况"]["B2"]
    assert title.value == "=HYPERLINK(1)" and title.data_type == "s"


def venues_list(client, giveaway, on_commit) -> str:
    """The venue's list, asked for on the giveaway's page: the job's page it leads to."""
    with on_commit(execute=True):  # made by a background job
        return client.post(f"/giveaways/{giveaway.pk}/winners/")["Location"]


def test_the_venues_list_is_made_by_a_job_and_recorded(
    client, users, reported, django_capture_on_commit_callbacks
):
    job_page = venues_list(client, reported, django_capture_on_commit_callbacks)
    assert "领取名单已生成" in client.get(job_page).content.decode()
    download = client.get(f"{job_page}download")
    winners = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(winners.values)
    assert len(rows) == 4 and {r[4] for r in rows[1:]} == set(
        Claim.objects.filter(giveaway=reported).values_list("code", flat=True)
    )
    # Names, unions and live pickup codes left the platform: recorded, by whom and how many.
    export = AuditEvent.objects.get(stream=reported.stream, action="perks.winners_export")
    assert export.actor_name == "cy_staff" and export.post_id
    assert json.loads(export.body)["changes"] == {"rows": [None, 3]}


def test_a_viewer_sees_the_giveaway_but_not_the_venues_list(
    client, users, tree, reported, django_capture_on_commit_callbacks
):
    job_page = venues_list(client, reported, django_capture_on_commit_callbacks)
    # A viewer at the district (perks.view, not perks.manage) sees it, not the venue's list.
    make_user("cy_viewer", tree.chaoyang, "street_staff")
    client.login(username="cy_viewer", password=PASSWORD)
    assert client.get(f"/giveaways/{reported.pk}/").status_code == 200
    assert client.post(f"/giveaways/{reported.pk}/winners/").status_code == 404
    assert client.get(f"{job_page}download").status_code == 404  # the starter's file only
    assert AuditEvent.objects.filter(action="perks.winners_export").count() == 1
    assert Job.objects.filter(kind="perks.winners").count() == 1
    assert "取消活动" not in client.get(f"/giveaways/{reported.pk}/").content.decode()


def test_staff_below_the_organiser_or_elsewhere_find_no_giveaway(client, users, reported):
    # Below the organiser, or in another district: not found.
    for outsider in ("cy_grass", "hd_staff"):
        client.login(username=outsider, password=PASSWORD)
        assert client.get(f"/giveaways/{reported.pk}/").status_code == 404


# --- The member's phone -------------------------------------------------------------------


def test_a_member_lands_on_their_services(client, members, fcfs):
    as_member(client, members.cy[0], "member_zhao")
    with time_machine.travel(OPENING - timedelta(hours=1)):
        home = client.get("/").url
        assert home == "/me/"  # the phone home across the programmes, linking to these pages
        assert "/m/" in client.get(home).content.decode()
        page = client.get("/m/").content.decode()
        assert "五一游园" in page and "出示二维码" in page


def test_the_giveaway_page_carries_the_member_pass(client, members, fcfs):
    person = members.cy[0]
    as_member(client, person, "member_zhao")
    with time_machine.travel(OPENING - timedelta(hours=1)):
        giveaway_page = client.get(f"/m/giveaways/{fcfs.pk}/")
        token = giveaway_page.context["pass"]
        assert passes.person_of(token) == person and "立即领取" in giveaway_page.content.decode()
        assert client.get(f"/m/giveaways/{fcfs.pk + 999}/").status_code == 404


def claimed_on_the_phone(client, person, giveaway) -> dict:
    """The member (logged in) opens the giveaway's page before the opening and, a second
    after it, presses the button with the page's pass: the claim's answer."""
    with time_machine.travel(OPENING - timedelta(hours=1)):
        token = client.get(f"/m/giveaways/{giveaway.pk}/").context["pass"]
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        client.force_login(Person.objects.get(pk=person).user)
        return client.post(
            f"/api/v1/perks/giveaways/{giveaway.pk}/claim",
            json.dumps({"key": "phone-key-001"}),
            content_type="application/json",
            headers={passes.HEADER: token},
        ).json()


def test_the_member_claims_and_sees_the_pickup_code(client, members, fcfs):
    person = members.cy[0]
    as_member(client, person, "member_zhao")
    answer = claimed_on_the_phone(client, person, fcfs)
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        mine = client.get(f"/m/claims/{answer['claim']['id']}/").content.decode()
        assert answer["claim"]["code"] in mine and "<svg" in mine
        assert "查看领取码" in client.get(f"/m/giveaways/{fcfs.pk}/").content.decode()


def test_the_member_gives_a_claim_back(client, members, fcfs):
    person = members.cy[0]
    as_member(client, person, "member_zhao")
    claim_id = claimed_on_the_phone(client, person, fcfs)["claim"]["id"]
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        cancelled = client.post(f"/m/claims/{claim_id}/cancel/", follow=True).content.decode()
        assert "已取消，名额已退回" in cancelled
    assert Claim.objects.get(pk=claim_id).status == "cancelled"


def test_another_members_claim_is_nobody_elses_business(client, members, fcfs):
    person = members.cy[0]
    as_member(client, person, "member_zhao")
    claim_id = claimed_on_the_phone(client, person, fcfs)["claim"]["id"]
    client.force_login(Person.objects.get(pk=person).user)
    other = Claim.objects.create(
        giveaway=fcfs,
        person_id=members.cy[1],
        card_id=Claim.objects.get(pk=claim_id).card_id,
        status="won",
        idem_key="x" * 8,
        request_hash="h",
        created_at=OPENING,
    )
    assert client.get(f"/m/claims/{other.pk}/").status_code == 404
    client.post(f"/m/claims/{other.pk}/cancel/")
    other.refresh_from_db()
    assert other.status == "won"


def test_a_staff_user_without_a_person_has_no_member_pages(client, users):
    client.login(username="cy_staff", password=PASSWORD)
    assert client.get("/m/").status_code == 404
    assert client.get("/api/v1/perks/pass").status_code == 404
