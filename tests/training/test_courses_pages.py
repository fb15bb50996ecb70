"""Courses pages through the Django test client: staff lists and forms, the deny cases
(Chaoyang's staff against Haidian's rows and the reverse), member pages, the check-in page,
the venue screen's code, certificates and the public check."""

import json
from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from gonghui.audit.models import AuditEvent
from gonghui.training.courses import selectors, services
from gonghui.training.models import Attendance, Certificate, Course, Enrolment, Session
from tests.factories import PASSWORD, make_member
from tests.training.conftest import make_session
from tests.training.salons_helpers import id_number

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def session(lecture):
    return lecture.sessions.get()


@pytest.fixture
def hd_lecture(tree, users):
    course = Course.objects.create(
        name="海淀讲堂", org_unit=tree.haidian, status="published", created_by=users.hd
    )
    make_session(course, audience=tree.haidian)
    return course


def test_list_filters_and_scope(client, users, lecture, hd_lecture):
    login(client, users.cy)
    page = client.get(reverse("training:courses"))
    assert page.status_code == 200
    assert "工匠讲堂" in page.text and "海淀讲堂" not in page.text
    assert client.get(reverse("training:courses"), {"q": "不存在"}).text.count("工匠讲堂") == 0
    assert (
        "工匠讲堂"
        in client.get(reverse("training:courses"), {"sort": "-name", "kind": "lecture"}).text
    )
    login(client, users.admin)
    assert "海淀讲堂" in client.get(reverse("training:courses")).text


def test_haidians_objects_are_404_for_chaoyang(client, users, members, hd_lecture):
    hd_session = hd_lecture.sessions.get()
    services.enrolment_create(actor=members.hd1.user, session=hd_session)
    with time_machine.travel(hd_session.starts_at):
        services.attendance_mark(actor=users.hd, session=hd_session, person=members.hd1)
    with time_machine.travel(hd_session.ends_at + timedelta(minutes=1)):
        services.certificates_issue(actor=users.hd, session=hd_session)
    cert = Certificate.objects.get()
    e = Enrolment.objects.get()
    login(client, users.cy)
    for name, args in [
        ("course", [hd_lecture.pk]),
        ("course_edit", [hd_lecture.pk]),
        ("session_create", [hd_lecture.pk]),
        ("session", [hd_session.pk]),
        ("session_edit", [hd_session.pk]),
        ("session_export", [hd_session.pk]),
        ("checkin_screen", [hd_session.pk]),
        ("checkin_code", [hd_session.pk]),
        ("certificate", [cert.pk]),
    ]:
        assert client.get(reverse(f"training:{name}", args=args)).status_code == 404, name
    for name, args, data in [
        ("course_publish", [hd_lecture.pk], {}),
        ("course_close", [hd_lecture.pk], {}),
        ("session_cancel", [hd_session.pk], {"reason": "x"}),
        ("session_enrol", [hd_session.pk], {"person": members.hd1.pk}),
        ("enrolment_cancel", [hd_session.pk, e.pk], {}),
        ("attendance_mark", [hd_session.pk], {"person": members.hd1.pk}),
        ("attendance_bulk", [hd_session.pk], {"people": [members.hd1.pk]}),
        ("certificates_issue", [hd_session.pk], {}),
    ]:
        assert client.post(reverse(f"training:{name}", args=args), data).status_code == 404, name
    assert Session.objects.get(pk=hd_session.pk).status == "scheduled"
    # a member cannot reach another's enrolment or certificate
    login(client, members.cy1.user)
    assert client.post(reverse("training:my_cancel", args=[e.pk])).status_code == 404
    assert client.get(reverse("training:my_certificate", args=[cert.pk])).status_code == 404
    assert client.post(reverse("training:my_enrol", args=[hd_session.pk])).status_code == 404
    # staff pages are not a member's
    assert client.get(reverse("training:courses")).status_code == 404


def test_course_and_session_forms_name_the_bad_field(client, users, tree):
    login(client, users.cy)
    page = client.post(
        reverse("training:course_create"), {"org_unit": tree.chaoyang.pk, "name": "", "kind": ""}
    )
    assert page.status_code == 200 and page.text.count('class="field error"') == 2
    assert "请选择" in page.text and not Course.objects.exists()
    page = client.post(
        reverse("training:course_create"),
        {
            "org_unit": tree.chaoyang.pk,
            "name": "工匠讲堂",
            "kind": "lecture",
            "partner": "首都工匠学院",
        },
    )
    course = Course.objects.get(name="工匠讲堂")
    assert page.status_code == 302
    start = timezone.localtime() + timedelta(days=3)
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        "title": "数控加工",
        "modes": ["现场观摩", "理论授课"],
        "place": "实训楼",
        "starts_at": start.strftime(fmt),
        "ends_at": (start - timedelta(hours=1)).strftime(fmt),
        "capacity": "20",
        "lecturer_name": "王师傅",
        "audience": "",
        "enrol_opens_at": timezone.localtime().strftime(fmt),
        "enrol_closes_at": (start - timedelta(days=1)).strftime(fmt),
    }
    url = reverse("training:session_create", args=[course.pk])
    page = client.post(url, data)
    assert page.status_code == 200 and "结束时间应晚于开始时间" in page.text
    assert not course.sessions.exists()
    data["ends_at"] = (start + timedelta(hours=2)).strftime(fmt)
    assert client.post(url, data).status_code == 302
    s = course.sessions.get()
    assert s.modes == "现场观摩+理论授课" and s.audience is None
    assert client.post(reverse("training:course_publish", args=[course.pk])).status_code == 302
    assert Course.objects.get(pk=course.pk).status == "published"
    page = client.get(reverse("training:session_edit", args=[s.pk]), {"lq": "王"})
    assert page.status_code == 200


def test_member_enrols_waits_and_is_promoted_on_the_phone(client, lecture, tree, members):
    s = make_session(lecture, 2, capacity=1, audience=tree.chaoyang)
    login(client, members.cy1.user)
    page = client.get(reverse("training:my"))
    assert "第2期" in page.text
    client.post(reverse("training:my_enrol", args=[s.pk]))
    second = login(client.__class__(), members.cy2.user)
    page = second.post(reverse("training:my_enrol", args=[s.pk]), follow=True)
    assert "候补（第 1 位）" in page.text
    assert "候补第 1 位" in page.text
    mine = Enrolment.objects.get(person=members.cy1, session=s)
    page = client.post(reverse("training:my_cancel", args=[mine.pk]), follow=True)
    assert "已取消" in page.text
    page = second.get(reverse("training:my"))
    assert "候补成功：您已获得" in page.text
    # enrolling twice is refused with a message
    page = second.post(reverse("training:my_enrol", args=[s.pk]), follow=True)
    assert "不能重复报名" in page.text


def test_checkin_page_via_the_screens_code(client, users, session, members):
    services.enrolment_create(actor=members.cy1.user, session=session)
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        login(client, users.cy)
        code = client.get(reverse("training:checkin_code", args=[session.pk])).json()
        assert "<svg" in code["svg"] and code["present"] == 0
        assert client.get(reverse("training:checkin_screen", args=[session.pk])).status_code == 200
        member = login(client.__class__(), members.cy1.user)
        url = code["url"].split("testserver", 1)[1]
        page = member.get(url)
        assert page.status_code == 200 and "签到成功" in page.text
        page = member.get(url)
        assert "已签到" in page.text
        assert Attendance.objects.count() == 1
        anonymous = client.__class__()
        page = anonymous.get(url)
        assert page.status_code == 302 and "login" in page["Location"]
    with time_machine.travel(session.starts_at + timedelta(minutes=1), tick=False):
        other = login(client.__class__(), members.cy2.user)
        page = other.get(url)
        assert page.status_code == 400 and "已过期" in page.text


def test_bulk_sign_in_by_sheet_and_export(client, users, session, tree, members):
    person = make_member(tree.cy_grass, "陈静", id_number="110105198001010016")
    services.enrolment_create(actor=users.cy, session=session, person=person)
    services.enrolment_create(actor=members.cy1.user, session=session)
    book = Workbook()
    ws = book.active
    ws.append(["姓名", "身份证号"])
    ws.append(["陈静", "110105198001010016"])
    data = BytesIO()
    book.save(data)
    upload = BytesIO(data.getvalue())
    upload.name = "签到表.xlsx"
    with time_machine.travel(session.starts_at):
        login(client, users.cy)
        page = client.post(
            reverse("training:attendance_bulk", args=[session.pk]),
            {"file": upload, "people": [members.cy1.pk]},
            follow=True,
        )
    assert "已批量登记签到 2 人" in page.text
    assert Attendance.objects.filter(session=session).count() == 2
    bad = BytesIO(b"\xe5\xa7\x93\xe5\x90\x8d\n")
    bad.name = "x.csv"
    with time_machine.travel(session.starts_at):
        login(client, users.cy)
        page = client.post(
            reverse("training:attendance_bulk", args=[session.pk]), {"file": bad}, follow=True
        )
    assert "签到表缺少“身份证号”列" in page.text
    checks = AuditEvent.objects.filter(action="people.id_check", actor_id=users.cy.pk)
    assert [json.loads(e.body)["changes"] for e in checks] == [
        {"what": [None, "签到表"], "count": [None, 1]}
    ]
    login(client, users.cy)
    export = client.get(reverse("training:session_export", args=[session.pk]))
    assert export.status_code == 200 and export.content[:2] == b"PK"
    event = AuditEvent.objects.get(action="training.session_export")
    assert event.actor_id == users.cy.pk and event.object_id == str(session.pk)
    assert json.loads(event.body)["changes"] == {"rows": [None, 2]}


def sign_in_sheet(*numbers: str) -> BytesIO:
    book = Workbook()
    book.active.append(["姓名", "身份证号"])
    for number in numbers:
        book.active.append(["某人", number])
    data = BytesIO()
    book.save(data)
    upload = BytesIO(data.getvalue())
    upload.name = "签到表.xlsx"
    return upload


def test_a_sign_in_sheet_spends_the_id_budget_even_when_refused(
    client, users, session, tree, settings
):
    """Each number of a sheet asks whether it belongs to someone enrolled: counted against
    the ID-probe budget before matching, so a refused sheet is not a free oracle."""
    settings.ID_PROBES_PER_DAY = 3
    person = make_member(tree.cy_grass, "陈静", id_number="110105198001010016")
    services.enrolment_create(actor=users.cy, session=session, person=person)
    strangers = [id_number("110101", 300), id_number("110101", 301)]  # nobody's
    url = reverse("training:attendance_bulk", args=[session.pk])
    with time_machine.travel(session.starts_at):
        login(client, users.cy)
        page = client.post(url, {"file": sign_in_sheet(*strangers)}, follow=True)
        assert "不是本场次的报名人员" in page.text
        page = client.post(url, {"file": sign_in_sheet("110105198001010016", *strangers)})
        page = client.get(reverse("training:session", args=[session.pk]))
    assert "次数已达上限" in page.text and not Attendance.objects.exists()
    assert AuditEvent.objects.filter(action="people.id_probes_throttled").count() == 1


def test_ids_no_record_can_have_are_refused_not_a_500(client, users, session, members):
    services.enrolment_create(actor=members.cy1.user, session=session)
    huge = "9" * 24
    with time_machine.travel(session.starts_at):
        login(client, users.cy)
        for name, data in [
            ("attendance_mark", {"person": huge}),
            ("session_enrol", {"person": huge}),
            ("attendance_bulk", {"people": [huge]}),
        ]:
            page = client.post(reverse(f"training:{name}", args=[session.pk]), data, follow=True)
            assert page.status_code == 200, name
            assert "请从列表中选择" in page.text or "请选择" in page.text, name
    assert selectors.people_in_session(session, [huge, str(members.cy1.pk)]) == [members.cy1]
    assert selectors.audience_member(session, huge) is None
    assert not Attendance.objects.exists()


def test_certificate_pdf_and_public_check(client, users, session, members):
    services.enrolment_create(actor=members.cy1.user, session=session)
    with time_machine.travel(session.starts_at):
        services.attendance_mark(actor=users.cy, session=session, person=members.cy1)
    with time_machine.travel(session.ends_at + timedelta(minutes=1)):
        login(client, users.cy)
        page = client.post(reverse("training:certificates_issue", args=[session.pk]), follow=True)
    assert "已出具听课证明 1 份" in page.text
    cert = Certificate.objects.get()
    member = login(client.__class__(), members.cy1.user)
    pdf = member.get(reverse("training:my_certificate", args=[cert.pk]))
    assert (
        pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"/FontFile2" in pdf.content
    )
    assert "下载 PDF" in member.get(reverse("training:my")).text
    login(client, users.cy)
    assert client.get(reverse("training:certificate", args=[cert.pk])).status_code == 200
    downloads = AuditEvent.objects.filter(action="training.certificate_download").order_by("id")
    assert [(e.actor_id, e.object_id) for e in downloads] == [
        (members.cy1.user.pk, str(cert.pk)),
        (users.cy.pk, str(cert.pk)),
    ]
    anonymous = client.__class__()
    page = anonymous.get(reverse("training:certificate_check"), {"code": cert.code.lower()})
    assert "证书有效" in page.text and "王*国" in page.text and "工匠讲堂" in page.text
    page = anonymous.get(reverse("training:certificate_check"), {"code": "ABCDEFGHJKMN"})
    assert "未找到" in page.text


def test_certificate_check_is_throttled(client, settings):
    url = reverse("training:certificate_check")
    for _ in range(10):
        client.get(url, {"code": "ABCDEFGHJKMN"})
    page = client.get(url, {"code": "ABCDEFGHJKMN"})
    assert "查询过于频繁" in page.text


def test_a_missing_font_is_a_page_not_a_500(client, users, session, members, settings):
    services.enrolment_create(actor=members.cy1.user, session=session)
    with time_machine.travel(session.starts_at):
        services.attendance_mark(actor=users.cy, session=session, person=members.cy1)
    with time_machine.travel(session.ends_at + timedelta(minutes=1)):
        services.certificates_issue(actor=users.cy, session=session)
    settings.TRAINING_CERT_FONT = "/nowhere/font.ttc"
    login(client, users.cy)
    page = client.get(reverse("training:certificate", args=[Certificate.objects.get().pk]))
    assert page.status_code == 503 and "中文字体" in page.text


def test_password_login_reaches_my_page(client, members):
    assert client.login(username="m_cy1", password=PASSWORD)
    assert client.get(reverse("training:my")).status_code == 200
