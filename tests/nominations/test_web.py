import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.files.models import Attachment
from gonghui.nominations import services
from gonghui.nominations.models import Campaign, Nomination, Objection
from gonghui.nominations.workflow import State
from tests.factories import PASSWORD, make_person
from tests.nominations.conftest import MATERIALS, at, stored_files
from tests.nominations.test_levels import district_campaign, put_forward  # noqa: F401


def form_data(person, **extra):
    data = {
        "person": person.pk,
        "brief": MATERIALS["brief"],
        "deeds": MATERIALS["deeds"],
        "meeting_on": "2025-09-20",
        "meeting_attendance": "56",
        "meeting_result": MATERIALS["meeting_result"],
        "categories": ["一线职工"],
        "form_file": SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n%x\n"),
        "submit": "1",
    }
    return {**data, **extra}


def test_the_nominate_page_offers_the_units_people(client, campaign, users, tree):
    make_person(tree.cy_grass, "孙明", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    page = client.get(f"/nominations/{campaign.pk}/nominate/")
    assert page.status_code == 200 and "孙明" in page.content.decode()


def test_a_brief_too_long_is_refused_on_the_page_and_nothing_saved(client, campaign, users, tree):
    person = make_person(tree.cy_grass, "孙明", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    bad = client.post(f"/nominations/{campaign.pk}/nominate/", form_data(person, brief="字" * 501))
    assert bad.status_code == 200
    assert "至多 500" in bad.content.decode() or "不超过" in bad.content.decode()
    assert not Nomination.objects.exists()


def test_grassroots_nominates_through_the_page(client, campaign, users, tree):
    person = make_person(tree.cy_grass, "孙明", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    done = client.post(f"/nominations/{campaign.pk}/nominate/", form_data(person))
    nomination = Nomination.objects.get(person=person)
    assert done.status_code == 302 and nomination.state == State.NOMINATED
    assert nomination.category_list == ["一线职工"]
    detail = client.get(f"/nominations/n/{nomination.pk}/").content.decode()
    assert "推荐表.pdf" in detail and "推荐上报" in detail


def test_a_submission_over_the_quota_on_the_page_leaves_no_draft_and_no_file(
    client, campaign, quota_full, users, tree, media
):
    forms = set(Attachment.objects.values_list("file", flat=True))
    person = make_person(tree.cy_grass, "孙明", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    page = client.post(f"/nominations/{campaign.pk}/nominate/", form_data(person))
    assert page.status_code == 200 and "朝阳区总工会的名额已用完（4/4）" in page.content.decode()
    assert not Nomination.objects.filter(person=person).exists()
    assert set(Attachment.objects.values_list("file", flat=True)) == forms
    assert stored_files(media) == forms


def publish_first_notice(client, campaign, ids):
    client.login(username="cy_grass", password=PASSWORD)
    return client.post(
        f"/nominations/{campaign.pk}/notices/new/",
        {"ids": ids, "stage": "first", "starts_on": "2025-09-22"},
    )


def test_a_unit_publishes_its_first_notice_through_the_page(client, campaign, nominees, users):
    response = publish_first_notice(client, campaign, [nominees["赵郁"].pk, nominees["武润泽"].pk])
    assert response.status_code == 302


def test_the_campaign_page_shows_the_quota_in_scope(client, campaign, nominees, users):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/nominations/{campaign.pk}/").content.decode()
    assert "各推荐单位中一线职工不低于 50%" in page and "2 / 4" in page
    assert "钱学" not in page  # Haidian's nominee is not Chaoyang's business


def test_the_district_reviews_a_batch_through_the_page(client, clock, campaign, nominees, users):
    ids = [nominees["赵郁"].pk, nominees["武润泽"].pk]
    publish_first_notice(client, campaign, ids)
    clock.move_to(at(2025, 9, 29))
    client.login(username="cy_staff", password=PASSWORD)  # a week later: a new session
    done = client.post(f"/nominations/{campaign.pk}/advance/", {"ids": ids, "action": "first_pass"})
    assert done.status_code == 302
    assert set(Nomination.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        State.FIRST_PASSED
    }


@pytest.fixture
def notice(campaign, nominees, users):
    """Chaoyang's first notice, listing 赵郁."""
    return services.notice_publish(
        actor=users.cy_grass,
        campaign=campaign,
        stage="first",
        nominations=[nominees["赵郁"]],
    )


def test_the_public_notice_lists_its_nominees_and_period(client, notice):
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "赵郁" in page and "工作单位及职务" in page and "电话 010-12345678" in page
    assert "2025年9月22日 至 2025年9月26日" in page


def test_a_named_objection_without_a_contact_is_refused_on_the_page(client, notice, nominees):
    refused = client.post(
        f"/notices/{notice.pk}/", {"nomination": nominees["赵郁"].pk, "text": "反映材料造假问题"}
    )
    assert refused.status_code == 422 and "实名反映须" in refused.content.decode()


def test_a_visitor_objects_anonymously_and_looks_it_up(client, notice, nominees):
    filed = client.post(
        f"/notices/{notice.pk}/",
        {
            "nomination": nominees["赵郁"].pk,
            "anonymous": "on",
            "text": "反映其成果系他人完成的问题",
        },
    )
    objection = Objection.objects.get()
    assert objection.reference in filed.content.decode() and objection.anonymous
    lookup = client.get(f"/notices/lookup/?ref={objection.reference.lower()}").content.decode()
    assert "待受理" in lookup


def test_the_public_follows_only_a_nominee_the_notice_lists(client, notice, nominees):
    public = client.get(f"/notices/{notice.pk}/{nominees['赵郁'].pk}/").content.decode()
    assert "评选中" in public and notice.title in public
    assert client.get(f"/notices/{notice.pk}/{nominees['钱学'].pk}/").status_code == 404


def test_the_notice_closes_after_its_period(client, clock, notice):
    clock.move_to(at(2025, 9, 27))
    closed = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "公示期已结束" in closed


def test_the_notice_list_downloads_in_word_and_excel_only(client, notice):
    assert client.get(f"/notices/{notice.pk}/list.docx").status_code == 200
    assert client.get(f"/notices/{notice.pk}/list.xlsx").status_code == 200
    assert client.get(f"/notices/{notice.pk}/list.pdf").status_code == 404


def test_district_staff_see_the_calendar_but_do_not_enter_it(client, users):
    client.login(username="cy_staff", password=PASSWORD)
    assert client.get("/calendar/").status_code == 200
    assert client.post("/calendar/", {"year": "2027"}).status_code == 404


def test_a_date_that_does_not_exist_is_named_on_the_calendar_page(client, users):
    client.login(username="admin_t", password=PASSWORD)
    bad = client.post(
        "/calendar/",
        {"year": "2027", "basis": "通知", "holidays": "春节 2027-02-06 至 2027-02-31"},
    )
    assert "日期 2027-02-31 不存在" in bad.content.decode()


def test_the_city_enters_a_years_schedule_on_the_calendar_page(client, users):
    client.login(username="admin_t", password=PASSWORD)
    done = client.post(
        "/calendar/",
        {
            "year": "2027",
            "basis": "国务院办公厅通知",
            "holidays": "元旦 2027-01-01\n春节 2027-02-06 至 2027-02-14",
            "workdays": "春节调休 2027-02-20",
        },
    )
    assert done.status_code == 302
    assert "2027" in client.get("/calendar/").content.decode()


def test_a_campaign_ending_before_it_starts_is_refused_on_the_page(client, clock, users, honours):
    client.login(username="admin_t", password=PASSWORD)
    bad = client.post(
        "/nominations/",
        {
            "honour": honours["capital-labour-medal"].pk,
            "year": "2025",
            "nominate_from": "2025-10-01",
            "nominate_until": "2025-09-01",
            "notice_days": "5",
            "notice_fields": ["name", "brief"],
        },
    )
    assert "推荐截止日期不能早于开始日期" in bad.content.decode()


def test_city_sets_up_a_campaign_through_the_pages(client, clock, users, tree, honours):
    client.login(username="admin_t", password=PASSWORD)
    client.post(
        "/nominations/",
        {
            "honour": honours["capital-labour-medal"].pk,
            "year": "2025",
            "nominate_from": "2025-09-01",
            "nominate_until": "2025-10-31",
            "notice_days": "7",
            "notice_calendar_days": "on",
            "notice_fields": ["name", "brief"],
        },
    )
    campaign = Campaign.objects.get()
    assert (campaign.notice_days, campaign.notice_calendar_days) == (7, True)
    assert campaign.notice_fields == ["name", "brief"]
    client.post(
        f"/nominations/{campaign.pk}/quotas/", {"org_unit": tree.chaoyang.pk, "allowed": "5"}
    )
    client.post(
        f"/nominations/{campaign.pk}/rules/",
        {"kind": "max", "attribute": "rank", "value": "企业负责人", "percent": "10"},
    )
    client.post(f"/nominations/{campaign.pk}/open/")
    campaign.refresh_from_db()
    assert campaign.status == "open" and campaign.quotas.get().allowed == 5
    assert campaign.rules.get().label == "全部名单中企业负责人不高于 10%"


def test_districts_do_not_set_a_city_campaigns_quotas(client, campaign, users, tree):
    client.login(username="cy_staff", password=PASSWORD)
    assert (
        client.post(
            f"/nominations/{campaign.pk}/quotas/", {"org_unit": tree.chaoyang.pk, "allowed": "9"}
        ).status_code
        == 404
    )


def test_the_replacement_page_names_the_nominee_and_asks_why(
    client, campaign, nominees, users, tree
):
    wu = nominees["武润泽"]
    person = make_person(tree.cy_grass, "郑丽", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    url = f"/nominations/{campaign.pk}/nominate/?replaces={wu.pk}"
    assert "替换被推荐人 武润泽" in client.get(url).content.decode()
    missing = client.post(url, form_data(person))
    assert "替换原因" in missing.content.decode() and missing.status_code == 200


def test_unit_replaces_a_nominee_through_the_page_with_a_reason(
    client, campaign, nominees, users, tree
):
    wu = nominees["武润泽"]
    person = make_person(tree.cy_grass, "郑丽", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    url = f"/nominations/{campaign.pk}/nominate/?replaces={wu.pk}"
    client.post(url, form_data(person, reason="本人因病申请退出"))
    new = Nomination.objects.get(person=person)
    assert (new.replaces_id, new.state) == (wu.pk, State.NOMINATED)
    assert Nomination.objects.get(pk=wu.pk).reason == "本人因病申请退出"


def test_a_nominee_of_another_campaign_is_not_replaced_here(
    client,
    campaign,
    district_campaign,  # noqa: F811  (the fixture imported above)
    users,
    tree,
):
    other = put_forward(users, tree, district_campaign, "武润泽")
    person = make_person(tree.cy_grass, "郑丽", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    url = f"/nominations/{campaign.pk}/nominate/?replaces={other.pk}"
    response = client.post(url, form_data(person, reason="本人因病申请退出"))
    # The page's refusals stay on the page, as every one of the save's (NotFound's message).
    assert response.status_code == 200 and "记录不存在或无权访问" in response.content.decode()
    assert Nomination.objects.get(pk=other.pk).state == State.NOMINATED
    assert not Nomination.objects.filter(person=person).exists()


@pytest.mark.parametrize("bad", ["²", "99999999999999999999", "0", "abc"])
def test_an_id_that_names_no_record_is_a_404(client, campaign, nominees, users, bad):
    client.login(username="cy_staff", password=PASSWORD)
    ids = [nominees["赵郁"].pk, bad]
    for url in (f"/nominations/{campaign.pk}/advance/", f"/nominations/{campaign.pk}/notices/new/"):
        response = client.post(url, {"ids": ids, "action": "first_pass", "stage": "first"})
        assert response.status_code == 404
    assert Nomination.objects.get(pk=nominees["赵郁"].pk).state == State.NOMINATED
    client.login(username="cy_grass", password=PASSWORD)
    replacing = client.get(f"/nominations/{campaign.pk}/nominate/?replaces={bad}")
    assert replacing.status_code == (200 if bad == "abc" else 404)  # "abc": a new nominee


@pytest.mark.parametrize("value", ["99999999999999999999", "2147483648", "10001", "-1"])
def test_a_quota_beyond_its_bound_is_named_by_its_field(client, campaign, users, tree, value):
    client.login(username="admin_t", password=PASSWORD)
    response = client.post(
        f"/nominations/{campaign.pk}/quotas/", {"org_unit": tree.chaoyang.pk, "allowed": value}
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["名额应为0至10000"]
    assert campaign.quotas.get(org_unit=tree.chaoyang).allowed == 4


def test_meeting_attendance_beyond_its_bound_is_named_by_its_field(client, campaign, users, tree):
    person = make_person(tree.cy_grass, "孙明", is_front_line=True)
    client.login(username="cy_grass", password=PASSWORD)
    for value in ("99999999999999999999", "2147483648"):
        page = client.post(
            f"/nominations/{campaign.pk}/nominate/", form_data(person, meeting_attendance=value)
        )
        assert page.status_code == 200 and "参会人数应为1至100000" in page.content.decode()
    assert not Nomination.objects.exists()
