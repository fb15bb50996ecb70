"""Courses, sessions, enrolment with the waitlist, attendance by QR and by staff, and
certificates: the services and selectors against the database."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.perks.models import Message
from gonghui.training.courses import certificates, checkin, selectors, services
from gonghui.training.models import Attendance, Certificate, Course, Enrolment, Session
from tests.factories import make_member
from tests.training.conftest import make_session

pytestmark = pytest.mark.django_db


def user_of(person):
    return person.user


@pytest.fixture
def session(lecture):
    return lecture.sessions.get()


def small(lecture, tree, capacity=1, **extra):
    return make_session(lecture, 2, capacity=capacity, audience=tree.chaoyang, **extra)


# --- Courses and sessions ------------------------------------------------------------------


def test_course_and_session_through_the_services(tree, users):
    course = services.course_create(
        actor=users.cy,
        org_unit=tree.chaoyang,
        name="工匠讲堂",
        kind="lecture",
        partner="首都工匠学院",
    )
    assert course.status == Course.Status.DRAFT
    now = timezone.now()
    s = services.session_create(
        actor=users.cy,
        course=course,
        title="数控加工",
        modes=["现场观摩", "实训操作"],
        place="实训楼",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        capacity=20,
        lecturer=None,
        lecturer_name="王师傅",
        audience=tree.cy_street,
        enrol_opens_at=now,
        enrol_closes_at=now + timedelta(days=2),
    )
    assert (s.seq, s.modes, s.org_unit) == (1, "现场观摩+实训操作", tree.chaoyang)
    services.course_publish(actor=users.cy, course=course)
    with pytest.raises(Conflict):
        services.course_publish(actor=users.cy, course=course)
    services.course_update(actor=users.cy, course=course, name="工匠讲堂（春季）")
    assert Course.objects.get(pk=course.pk).name == "工匠讲堂（春季）"


def test_bad_session_input_names_the_field_and_writes_nothing(lecture, users, tree):
    now = timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        services.session_create(
            actor=users.cy,
            course=lecture,
            title="",
            place="实训楼",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=2),
            capacity=0,
            lecturer_name="",
            audience=tree.hd_grass,
            enrol_opens_at=now,
            enrol_closes_at=now + timedelta(days=4),
        )
    assert set(exc.value.fields) >= {"title", "ends_at", "capacity", "lecturer_name", "audience"}
    assert "面向范围" in exc.value.fields["audience"]
    assert lecture.sessions.count() == 1


def test_haidian_staff_cannot_touch_chaoyangs_course(lecture, users, tree, session):
    with pytest.raises(NotFound):
        services.course_update(actor=users.hd, course=lecture, name="x")
    with pytest.raises(NotFound):
        selectors.course_get(users.hd, lecture.pk)
    with pytest.raises(NotFound):
        selectors.session_get(users.hd, session.pk)
    with pytest.raises(Forbidden):  # the auditor sees it, may not change it
        services.session_cancel(actor=users.auditor, session=session, reason="x")
    assert list(selectors.course_list(users.hd)) == []
    assert list(selectors.course_list(users.cy)) == [lecture]


def test_capacity_never_below_the_seated(session, users, members):
    services.enrolment_create(actor=user_of(members.cy1), session=session)
    services.enrolment_create(actor=user_of(members.cy2), session=session)
    with pytest.raises(ValidationFailed) as exc:
        services.session_update(actor=users.cy, session=session, capacity=1)
    assert "2" in exc.value.fields["capacity"]
    assert Session.objects.get(pk=session.pk).capacity == 30


# --- Enrolment and the waitlist ------------------------------------------------------------


def test_full_session_waitlists_and_a_cancel_promotes_the_first(lecture, tree, members):
    s = small(lecture, tree)
    third = make_member(tree.cy_grass, "赵敏", username="m_cy3")
    a = services.enrolment_create(actor=user_of(members.cy1), session=s)
    b = services.enrolment_create(actor=user_of(members.cy2), session=s)
    c = services.enrolment_create(actor=third.user, session=s)
    assert [a.status, b.status, c.status] == ["seated", "waitlisted", "waitlisted"]
    assert [e.position for e in selectors.waitlist(s)] == [1, 2]
    assert [e.pk for e in selectors.waitlist(s)] == [b.pk, c.pk]

    services.enrolment_cancel(actor=user_of(members.cy1), enrolment=a)
    b.refresh_from_db()
    assert b.status == "seated" and b.seated_at
    assert Session.objects.get(pk=s.pk).seated == 1
    told = Message.objects.get(person=members.cy2)
    assert told.text.startswith("候补成功：您已获得") and "工匠讲堂" in told.text
    assert selectors.waitlist_position(Enrolment.objects.get(pk=c.pk)) == 1
    mine = selectors.enrolments_of(members.cy2)
    assert mine[0].status == "seated"


def test_promotion_stops_once_the_session_started(lecture, tree, members, users):
    s = small(lecture, tree)
    a = services.enrolment_create(actor=user_of(members.cy1), session=s)
    services.enrolment_create(actor=user_of(members.cy2), session=s)
    with time_machine.travel(s.starts_at + timedelta(minutes=5)), pytest.raises(Conflict):
        services.enrolment_cancel(actor=users.cy, enrolment=a)
    Session.objects.filter(pk=s.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    s.refresh_from_db()
    assert services._promote(s, timezone.now()) == 0


def test_refusals_window_cancelled_audience_twice(lecture, tree, members, session):
    late = make_session(
        lecture,
        3,
        audience=tree.chaoyang,
        enrol_opens_at=timezone.now() + timedelta(hours=1),
        enrol_closes_at=timezone.now() + timedelta(hours=2),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.enrolment_create(actor=user_of(members.cy1), session=late)
    assert "尚未开始" in exc.value.fields["session"]
    with (
        time_machine.travel(session.enrol_closes_at + timedelta(seconds=1)),
        pytest.raises(ValidationFailed) as exc,
    ):
        services.enrolment_create(actor=user_of(members.cy1), session=session)
    assert exc.value.fields["session"] == "报名已截止"
    with pytest.raises(ValidationFailed) as exc:
        services.enrolment_create(actor=user_of(members.hd1), session=session)
    assert "面向范围" in exc.value.fields["person"]
    services.enrolment_create(actor=user_of(members.cy1), session=session)
    with pytest.raises(ValidationFailed) as exc:
        services.enrolment_create(actor=user_of(members.cy1), session=session)
    assert "重复报名" in exc.value.fields["person"]
    assert Enrolment.objects.filter(session=session).count() == 1
    assert Session.objects.get(pk=session.pk).seated == 1


def test_cancelling_a_session_tells_everyone_enrolled(lecture, tree, members, users):
    s = small(lecture, tree)
    services.enrolment_create(actor=user_of(members.cy1), session=s)
    services.enrolment_create(actor=user_of(members.cy2), session=s)
    services.session_cancel(actor=users.cy, session=s, reason="讲师临时出差")
    assert Message.objects.filter(text__contains="讲师临时出差").count() == 2
    with pytest.raises(ValidationFailed):
        services.enrolment_create(
            actor=make_member(tree.cy_grass, "钱", username="m9").user, session=s
        )


def test_staff_enrol_on_behalf_and_open_sessions_for_members(session, users, members):
    assert list(selectors.sessions_open_to(members.cy1)) == [session]
    assert list(selectors.sessions_open_to(members.hd1)) == []
    with pytest.raises(NotFound):
        services.enrolment_create(actor=users.hd, session=session, person=members.cy1)
    e = services.enrolment_create(actor=users.cy, session=session, person=members.cy1)
    assert e.created_by == users.cy
    assert list(selectors.sessions_open_to(members.cy1)) == []
    with pytest.raises(NotFound):  # another member's enrolment is not mine
        selectors.member_enrolment(members.cy2, e.pk)
    with pytest.raises(NotFound):
        services.enrolment_cancel(actor=user_of(members.cy2), enrolment=e)


def test_staff_find_members_and_lecturers_by_pinyin_and_initials(session, users, members):
    for q in ("wangjianguo", "wjg", "建国"):
        assert selectors.audience_members(session, q) == [members.cy1], q
    assert selectors.audience_members(session, "zw") == []  # 张伟: outside the audience
    for q in ("lixiuying", "lxy"):
        assert selectors.lecturer_candidates(users.cy, q) == [members.cy2], q
    assert selectors.lecturer_candidates(users.hd, "lxy") == []  # outside Haidian's scope


# --- Attendance ----------------------------------------------------------------------------


def test_checkin_by_qr_then_replay_and_expiry_refused(session, members):
    services.enrolment_create(actor=user_of(members.cy1), session=session)
    at = session.starts_at - timedelta(minutes=10)
    with time_machine.travel(at, tick=False):
        token = checkin.checkin_token(session.pk)
    with time_machine.travel(at + timedelta(seconds=5), tick=False):
        attendance, created = services.attendance_checkin(actor=user_of(members.cy1), token=token)
        assert created and attendance.method == "qr"
        assert attendance.token_digest == checkin.digest(token)
        again, created = services.attendance_checkin(actor=user_of(members.cy1), token=token)
        assert not created and again.pk == attendance.pk
    with (
        time_machine.travel(at + timedelta(seconds=31), tick=False),
        pytest.raises(ValidationFailed) as exc,
    ):
        services.attendance_checkin(actor=user_of(members.cy2), token=token)
    assert "已过期" in exc.value.fields["token"]
    with pytest.raises(ValidationFailed) as exc:
        services.attendance_checkin(actor=user_of(members.cy1), token=token[:-2] + "xx")
    assert "无效" in exc.value.fields["token"]
    assert Attendance.objects.filter(session=session).count() == 1


def test_checkin_refused_for_the_unseated_and_outside_the_hours(session, members):
    services.enrolment_create(actor=user_of(members.cy1), session=session)
    early = session.starts_at - timedelta(minutes=61)
    with time_machine.travel(early, tick=False), pytest.raises(ValidationFailed) as exc:
        services.attendance_checkin(
            actor=user_of(members.cy1), token=checkin.checkin_token(session.pk)
        )
    assert "尚未开始" in exc.value.fields["token"]
    with time_machine.travel(session.starts_at, tick=False), pytest.raises(ValidationFailed) as exc:
        services.attendance_checkin(
            actor=user_of(members.cy2), token=checkin.checkin_token(session.pk)
        )
    assert "未获得该场次的名额" in exc.value.fields["token"]
    with (
        time_machine.travel(session.ends_at + timedelta(seconds=1), tick=False),
        pytest.raises(ValidationFailed),
    ):
        services.attendance_checkin(
            actor=user_of(members.cy1), token=checkin.checkin_token(session.pk)
        )
    assert not Attendance.objects.exists()


def test_staff_mark_single_and_bulk_with_one_event(session, users, members):
    from gonghui.audit.models import AuditEvent

    services.enrolment_create(actor=user_of(members.cy1), session=session)
    services.enrolment_create(actor=user_of(members.cy2), session=session)
    with time_machine.travel(session.starts_at):
        services.attendance_mark(actor=users.cy, session=session, person=members.cy1)
        with pytest.raises(ValidationFailed):
            services.attendance_mark(actor=users.cy, session=session, person=members.cy1)
        with pytest.raises(ValidationFailed) as exc:
            services.attendance_bulk(actor=users.cy, session=session, people=[members.hd1])
        assert "没有报名" in exc.value.fields["people"]
        before = AuditEvent.objects.count()
        n = services.attendance_bulk(
            actor=users.cy, session=session, people=[members.cy1, members.cy2]
        )
    assert n == 1
    assert AuditEvent.objects.count() == before + 1
    assert Attendance.objects.filter(session=session).count() == 2


# --- Certificates --------------------------------------------------------------------------


def test_certificates_for_the_present_idempotent_pdf_and_check(session, users, members):
    services.enrolment_create(actor=user_of(members.cy1), session=session)
    with pytest.raises(Conflict):
        services.certificates_issue(actor=users.cy, session=session)
    with time_machine.travel(session.starts_at):
        services.attendance_mark(actor=users.cy, session=session, person=members.cy1)
    with time_machine.travel(session.ends_at + timedelta(minutes=1)):
        assert services.certificates_issue(actor=users.cy, session=session) == 1
        assert services.certificates_issue(actor=users.cy, session=session) == 0
        with pytest.raises(NotFound):
            services.certificates_issue(actor=users.hd, session=session)
    cert = Certificate.objects.get()
    assert len(cert.code) == 12 and set(cert.code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    found = selectors.certificate_by_code(cert.code.lower())
    assert found == cert
    assert selectors.certificate_by_code("ZZZZZZZZZZZZ") is None
    assert certificates.mask_holder("王建国") == "王*国"
    pdf = certificates.certificate_pdf(
        code=cert.code,
        holder="王建国",
        course="工匠讲堂",
        session="第1期",
        organiser="朝阳区总工会",
        held_on=session.starts_at,
        check_url="http://x/training/certificates/check/",
    )
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
    with pytest.raises(NotFound):
        selectors.certificate_get(users.hd, cert.pk)
    assert selectors.certificate_get(users.cy, cert.pk) == cert


def test_a_missing_font_is_a_clear_error(settings):
    settings.TRAINING_CERT_FONT = "/nowhere/font.ttc"
    with pytest.raises(certificates.NoFont) as exc:
        certificates.font_path()
    assert "中文字体" in exc.value.message
