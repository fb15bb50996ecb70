"""The application pages: the member's on a phone (apply with uploads, see status and
reasons, withdraw, their own documents), the staff's (list with filters and pinyin search,
detail, the decide form showing only the valid next step, on-behalf applying), and who may
reach what: another district's staff find nothing of ours through any page, a grassroots
post cannot act beyond its grant, anonymous visitors go to the login, no page 500s for any
role."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gonghui.funds.applications.services import application_decide, application_submit
from gonghui.funds.models import Application, Entitlement
from tests.factories import PASSWORD, make_member
from tests.funds.conftest import YEAR

pytestmark = pytest.mark.django_db
NOW = datetime(YEAR, 6, 15, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield


def pdf(name="证书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 scan", content_type="application/pdf")


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def member(tree):
    return make_member(tree.cy_grass, "赵郁", username="zhaoyu")


@pytest.fixture
def hd_member(tree):
    return make_member(tree.hd_grass, "钱多", username="qianduo")


def cert(actor, programme, person=None, number="S0001-2345"):
    return application_submit(
        actor=actor,
        programme=programme,
        facts={
            "certificate_no": number,
            "level": "技师",
            "trade": "钳工",
            "issued_on": "2025-05-01",
        },
        documents={"certificate_doc": pdf()},
        person=person,
    )


def illness(actor, programme):
    return application_submit(
        actor=actor,
        programme=programme,
        facts={
            "self_paid": "60000",
            "grade": "特别困难",
            "diagnosis": "肺癌",
            "event_date": "2026-04-01",
            "hospital": "北京肿瘤医院",
        },
        documents={k: pdf(f"{k}.pdf") for k in ("diagnosis_doc", "bills_doc", "hardship_doc")},
    )


# --- The member on a phone -------------------------------------------------------------------


def test_a_member_applies_with_a_file_and_sees_the_status(client, funds, member):
    login(client, member.user)
    page = client.get(reverse("funds:my_applications"))
    assert page.status_code == 200 and "技能等级证书补贴" in page.content.decode()
    url = reverse("funds:apply", args=[funds.certificate.pk])
    form = client.get(url).content.decode()
    assert "证书编号" in form and "高级技师" in form and 'enctype="multipart/form-data"' in form
    answer = client.post(
        url,
        {
            "certificate_no": "S0001-2345",
            "level": "高级技师",
            "trade": "钳工",
            "issued_on": "2025-05-01",
            "certificate_doc": pdf(),
        },
    )
    app = Application.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "funds:my_application", args=[app.pk]
    )
    assert app.amount == 200000 and app.person == member
    detail = client.get(answer["Location"]).content.decode()
    assert "待基层核实" in detail and "2,000.00元" in detail and "证书.pdf" in detail
    doc = app.facts["documents"]["certificate_doc"]
    download = client.get(reverse("funds:my_application_document", args=[app.pk, doc]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Cache-Control"] == "private, no-store"


def test_errors_are_shown_beside_their_fields(client, funds, member):
    login(client, member.user)
    url = reverse("funds:apply", args=[funds.illness.pk])
    page = client.post(
        url,
        {
            "self_paid": "100.005",
            "grade": "一般困难",
            "diagnosis": "肺癌",
            "event_date": "2026-04-01",
            "hospital": "某医院",
            "diagnosis_doc": pdf(),
            "bills_doc": pdf(),
            "hardship_doc": pdf(),
        },
    )
    assert page.status_code == 200
    assert "精确到分" in page.context["form"].errors["self_paid"][0]
    assert not Application.objects.exists()
    page = client.post(url, {"self_paid": "100"})
    assert "请上传诊断证明" in page.context["form"].errors["diagnosis_doc"][0]


def test_a_duplicate_certificate_is_refused_on_the_page(client, funds, member):
    cert(member.user, funds.certificate)
    login(client, member.user)
    page = client.post(
        reverse("funds:apply", args=[funds.certificate.pk]),
        {
            "certificate_no": "S00012345",
            "level": "一级",
            "trade": "钳工",
            "issued_on": "2025-05-01",
            "certificate_doc": pdf(),
        },
    )
    assert "已申请过或已获补贴" in page.context["form"].errors["certificate_no"][0]


def test_the_member_sees_the_reason_and_may_withdraw_only_before_a_decision(
    client, funds, member, users
):
    rejected = cert(member.user, funds.certificate)
    application_decide(
        actor=users.cy_grass, application=rejected, decision="reject", note="证书照片不清晰"
    )
    pending = illness(member.user, funds.illness)
    login(client, member.user)
    listing = client.get(reverse("funds:my_applications")).content.decode()
    assert "证书照片不清晰" in listing and "未通过" in listing
    assert (
        "撤回申请"
        not in client.get(reverse("funds:my_application", args=[rejected.pk])).content.decode()
    )
    answer = client.post(
        reverse("funds:my_application_withdraw", args=[pending.pk]), {"reason": ""}
    )
    assert answer.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "withdrawn"


def test_a_member_sees_only_their_own(client, funds, member, hd_member):
    theirs = cert(hd_member.user, funds.certificate, number="HD-0001")
    login(client, member.user)
    assert client.get(reverse("funds:my_application", args=[theirs.pk])).status_code == 404
    doc = theirs.facts["documents"]["certificate_doc"]
    assert (
        client.get(reverse("funds:my_application_document", args=[theirs.pk, doc])).status_code
        == 404
    )
    assert (
        client.post(reverse("funds:my_application_withdraw", args=[theirs.pk])).status_code == 404
    )
    # Staff pages are not a member's.
    assert client.get(reverse("funds:application", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("funds:applications", args=[funds.certificate.pk])).status_code == 404


# --- Staff -----------------------------------------------------------------------------------


def test_the_list_filters_by_status_level_district_and_pinyin(
    client, funds, member, hd_member, users
):
    mine = cert(member.user, funds.certificate)
    theirs = cert(hd_member.user, funds.certificate, number="HD-0001")
    application_decide(actor=users.cy_grass, application=mine, decision="pass")
    login(client, users.admin)
    url = reverse("funds:applications", args=[funds.certificate.pk])

    def listed(**query):
        return {a.pk for a in client.get(url, query).context["page"]}

    assert listed() == {mine.pk, theirs.pk}
    assert listed(status="verified") == {mine.pk}
    assert listed(level="1") == {theirs.pk}
    assert listed(district=str(hd_member.org_unit.parent.parent.pk)) == {theirs.pk}
    assert listed(q="zhaoyu") == {mine.pk}  # the name's pinyin
    assert listed(q="钱") == {theirs.pk}
    assert listed(sort="-amount") == {mine.pk, theirs.pk}


def test_another_district_finds_nothing_of_ours(client, funds, member, users):
    app = illness(member.user, funds.illness)
    doc = app.facts["documents"]["diagnosis_doc"]
    login(client, users.hd)
    page = client.get(reverse("funds:applications", args=[funds.illness.pk]))
    assert page.status_code == 200 and list(page.context["page"]) == []
    assert client.get(reverse("funds:application", args=[app.pk])).status_code == 404
    assert client.get(reverse("funds:application_document", args=[app.pk, doc])).status_code == 404
    answer = client.post(reverse("funds:application_decide", args=[app.pk]), {"decision": "pass"})
    assert answer.status_code == 404
    assert (
        client.get(
            reverse("funds:apply_for", args=[funds.illness.pk]) + "?person=" + str(member.pk)
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("funds:apply_for", args=[funds.illness.pk]), {"q": "赵郁"}).context[
            "people"
        ]
        == []
    )
    app.refresh_from_db()
    assert app.status == "submitted"


def test_a_districts_programme_is_not_another_districts_page(client, funds, users):
    login(client, users.hd)
    assert client.get(reverse("funds:applications", args=[funds.condolence.pk])).status_code == 404


def test_the_decide_form_shows_only_the_valid_next_step(client, funds, member, users):
    app = cert(member.user, funds.certificate)
    login(client, users.cy)
    page = client.get(reverse("funds:application", args=[app.pk]))
    # The district may verify at level 1 too (its scope covers the grassroots union).
    assert page.context["step"].level == 1 and page.context["form"] is not None
    login(client, users.cy_street)
    page = client.get(reverse("funds:application", args=[app.pk]))
    assert page.context["step"].level == 1
    answer = client.post(reverse("funds:application_decide", args=[app.pk]), {"decision": "pass"})
    assert answer.status_code == 302
    app.refresh_from_db()
    assert app.status == "verified"
    # The street may not review at level 2: no form, the reason instead.
    page = client.get(reverse("funds:application", args=[app.pk]))
    assert page.context["form"] is None and "待区级审核" in page.context["step"].why
    answer = client.post(
        reverse("funds:application_decide", args=[app.pk]), {"decision": "pass"}, follow=True
    )
    assert "区级审核须由" in answer.content.decode()
    app.refresh_from_db()
    assert app.status == "verified"
    # Nobody decides twice: the street's login at the next level is told so.


def test_a_grassroots_post_cannot_act_beyond_its_grant(client, funds, member, users):
    app = cert(member.user, funds.certificate)
    login(client, users.cy_grass)
    client.post(reverse("funds:application_decide", args=[app.pk]), {"decision": "pass"})
    app.refresh_from_db()
    assert app.status == "verified"
    page = client.get(reverse("funds:application", args=[app.pk]))
    assert page.context["form"] is None
    answer = client.post(
        reverse("funds:application_decide", args=[app.pk]), {"decision": "pass"}, follow=True
    )
    assert answer.status_code == 200
    app.refresh_from_db()
    assert app.status == "verified" and app.reviews.count() == 1


def test_a_rejection_without_reason_is_told_and_nothing_changes(client, funds, member, users):
    app = cert(member.user, funds.certificate)
    login(client, users.cy_grass)
    answer = client.post(
        reverse("funds:application_decide", args=[app.pk]),
        {"decision": "reject", "note": ""},
        follow=True,
    )
    assert "不通过须填写原因" in answer.content.decode()
    app.refresh_from_db()
    assert app.status == "submitted"


def test_staff_approve_through_the_pages(client, funds, member, users):
    app = cert(member.user, funds.certificate)
    for user in (users.cy_grass, users.cy, users.admin):
        login(client, user)
        client.post(
            reverse("funds:application_decide", args=[app.pk]), {"decision": "pass", "note": "同意"}
        )
    app.refresh_from_db()
    assert app.status == "approved" and Entitlement.objects.get(application=app).amount == 100000
    login(client, users.admin)
    page = client.get(reverse("funds:application", args=[app.pk])).content.decode()
    assert "已批准" in page and "规则 v1" in page


def test_staff_apply_on_behalf(client, funds, member, users):
    login(client, users.cy_grass)
    url = reverse("funds:apply_for", args=[funds.certificate.pk])
    found = client.get(url, {"q": "zy"})  # initials
    assert [p.pk for p in found.context["people"]] == [member.pk]
    answer = client.post(
        f"{url}?person={member.pk}",
        {
            "certificate_no": "S-7788-99",
            "level": "三级",
            "trade": "钳工",
            "issued_on": "2024-05-01",
            "certificate_doc": pdf(),
        },
    )
    app = Application.objects.get()
    assert answer["Location"] == reverse("funds:application", args=[app.pk])
    assert app.created_by == users.cy_grass and app.person == member and app.amount == 80000
    page = client.get(answer["Location"])
    assert page.context["form"] is None and "审核与经办分离" in page.context["step"].why


def test_documents_are_for_reviewers_in_scope_not_every_reader(client, funds, member, users):
    app = illness(member.user, funds.illness)
    doc = app.facts["documents"]["bills_doc"]
    login(client, users.auditor)
    page = client.get(reverse("funds:application", args=[app.pk]))
    assert page.status_code == 200 and page.context["documents"] is None
    assert client.get(reverse("funds:application_document", args=[app.pk, doc])).status_code == 404
    login(client, users.cy_grass)
    assert client.get(reverse("funds:application_document", args=[app.pk, doc])).status_code == 200


# --- Every route, every role -----------------------------------------------------------------


def test_anonymous_visitors_go_to_the_login(client, funds, member):
    app = cert(member.user, funds.certificate)
    doc = app.facts["documents"]["certificate_doc"]
    for url in routes(funds, app, doc):
        answer = client.get(url)
        assert answer.status_code == 302 and "/login" in answer["Location"], url


def routes(funds, app, doc):
    return [
        reverse("funds:my_applications"),
        reverse("funds:apply", args=[funds.certificate.pk]),
        reverse("funds:apply", args=[funds.illness.pk]),
        reverse("funds:apply", args=[funds.studio.pk]),
        reverse("funds:apply", args=[funds.certificate.pk]) + "?via=finalist",
        reverse("funds:my_application", args=[app.pk]),
        reverse("funds:my_application_document", args=[app.pk, doc]),
        reverse("funds:applications", args=[funds.certificate.pk]),
        reverse("funds:applications", args=[funds.certificate.pk])
        + "?q=zhao&status=submitted&level=1&sort=name",
        reverse("funds:application", args=[app.pk]),
        reverse("funds:application_document", args=[app.pk, doc]),
        reverse("funds:apply_for", args=[funds.certificate.pk]),
        reverse("funds:apply_for", args=[funds.certificate.pk]) + "?q=zhao",
        reverse("funds:apply_for", args=[funds.studio.pk]),
        reverse("funds:apply_for", args=[funds.illness.pk]) + "?person=1",
    ]


def test_no_page_fails_for_any_role(client, funds, member, users):
    app = cert(member.user, funds.certificate)
    doc = app.facts["documents"]["certificate_doc"]
    for user in (
        member.user,
        users.admin,
        users.cy,
        users.hd,
        users.cy_street,
        users.cy_grass,
        users.auditor,
        users.nopost,
    ):
        client.force_login(user)
        for url in routes(funds, app, doc):
            assert client.get(url).status_code in (200, 302, 403, 404), (user, url)
        for url in (
            reverse("funds:application_decide", args=[app.pk]),
            reverse("funds:my_application_withdraw", args=[app.pk]),
        ):
            assert client.post(url, {}).status_code in (302, 403, 404), (user, url)
    client.force_login(users.admin)
    assert client.get(reverse("funds:apply", args=[funds.condolence.pk])).status_code == 404


def test_login_with_the_password_works_for_the_member_page(client, funds, member):
    assert client.login(username="zhaoyu", password=PASSWORD)
    assert client.get(reverse("funds:my_applications")).status_code == 200


def test_a_missing_field_is_named_in_chinese(client, funds, member):
    login(client, member.user)
    page = client.post(reverse("funds:apply", args=[funds.certificate.pk]), {"trade": "钳工"})
    errors = page.context["form"].errors
    assert errors["level"] == ["请选择证书等级"] and errors["certificate_no"] == ["请填写证书编号"]
    assert errors["certificate_doc"] == ["请上传证书照片或扫描件"]


def test_a_finalist_applies_on_the_page_without_a_certificate(client, funds, member, tree, users):
    from tests.funds.test_applications import finalist_world

    competition = finalist_world(funds, member, tree, users, place=4)
    login(client, member.user)
    url = reverse("funds:apply", args=[funds.certificate.pk]) + "?via=finalist"
    form = client.get(url).content.decode()
    assert "北京大工匠·钳工" in form and "证书编号" not in form
    answer = client.post(url, {"competition": str(competition.pk)})
    app = Application.objects.get()
    assert answer["Location"] == reverse("funds:my_application", args=[app.pk])
    assert app.facts["place"] == 4 and app.amount == 100000
