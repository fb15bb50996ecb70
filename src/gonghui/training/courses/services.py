"""课程讲座（报名、候补、签到、听课证明）: every write.

Courses and their sessions are managed with ``training.manage`` at the organiser. Each write
is one transaction with its event, in the course's own audit stream (``courses:<id>``, so
an enrolment storm on one session never queues behind the rest of the platform).

Enrolment is decided by the database, never by a check and a later write: a seat is taken
by one conditional UPDATE (``seated = seated + 1 WHERE seated < capacity``), the Enrolment
row inserted in the same short transaction; ``session_seats_sane`` and
``enrolment_one_live`` refuse whatever slips past. Every writer of a session's enrolments
holds the session's row (PostgreSQL: the UPDATE's row lock, or ``FOR UPDATE`` when the
session is full; SQLite: ``BEGIN IMMEDIATE``) before it inserts, so enrolment ids follow
commit order and the waitlist's arrival order is the id. Cancelling a seat frees it and
seats the first waitlisted in the same transaction, until the session starts.

Personal data leaving the platform is recorded too: a certificate's PDF
(``certificate_download``) and a session's roster workbook (``session_roster_export``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import id_ranges, record
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.common.formats import cn_datetime
from gonghui.common.forms import clean_text
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, path_contains
from gonghui.people.models import Person
from gonghui.people.selectors import member_person
from gonghui.perks.giveaways.draw import new_receipt
from gonghui.perks.models import Message
from gonghui.training.courses import certificates, checkin, selectors, sheets
from gonghui.training.courses.selectors import LIVE, MANAGE, VIEW
from gonghui.training.models import Attendance, Certificate, Course, Enrolment, Session

COURSE_FIELDS = ("name", "kind", "partner", "description")
SESSION_FIELDS = (
    "title",
    "modes",
    "place",
    "starts_at",
    "ends_at",
    "capacity",
    "lecturer",
    "lecturer_name",
    "audience",
    "enrol_opens_at",
    "enrol_closes_at",
)
MODES = ("现场观摩", "理论授课", "实训操作")
MAX_CAPACITY = 100_000
BULK_MAX = 5_000


def _grant(actor, unit: OrgUnit):
    return access.require_at(actor, MANAGE, unit, view_perm=VIEW)


def _event(actor, course_id: int, action, *, obj, changes=None, post_id=None, org_unit_id=None):
    return record(
        actor=actor,
        action=action,
        obj=obj,
        changes=changes,
        post_id=post_id,
        org_unit_id=org_unit_id,
        stream=f"courses:{course_id}",
    )


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


# --- Courses -------------------------------------------------------------------------------


def _check_course(data: dict, errors: dict) -> dict:
    clean = {
        "name": clean_text(data.get("name"), "name", "课程名称", 120, errors),
        "partner": clean_text(
            data.get("partner"), "partner", "合作单位", 120, errors, required=False
        ),
        "description": clean_text(
            data.get("description"), "description", "简介", 4000, errors, required=False
        ),
        "kind": data.get("kind"),
    }
    if clean["kind"] not in Course.Kind.values:
        errors["kind"] = "请选择课程类型"
    return clean


def course_create(
    *, actor, org_unit: OrgUnit, name: str, kind: str, partner: str = "", description: str = ""
) -> Course:
    """A course (draft) organised at ``org_unit``: by ``training.manage`` there."""
    grant = _grant(actor, org_unit)
    errors: dict[str, str] = {}
    data = _check_course(
        {"name": name, "kind": kind, "partner": partner, "description": description}, errors
    )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        course = Course.objects.create(org_unit=org_unit, created_by=actor, **data)
        _event(
            actor,
            course.pk,
            Action.TRAINING_COURSE_CREATE,
            obj=course,
            changes={k: [None, v] for k, v in data.items() if v},
            post_id=grant.post_id,
        )
    return course


def course_update(*, actor, course: Course, **changes) -> Course:
    grant = _grant(actor, course.org_unit)
    unknown = set(changes) - set(COURSE_FIELDS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: "该项不能修改"})
    errors: dict[str, str] = {}
    before = {f: getattr(course, f) for f in COURSE_FIELDS}
    data = _check_course(before | changes, errors)
    if errors:
        raise ValidationFailed(errors)
    diff = {k: [before[k], data[k]] for k in COURSE_FIELDS if before[k] != data[k]}
    if not diff:
        return course
    with transaction.atomic():
        Course.objects.filter(pk=course.pk).update(**data)
        for k, v in data.items():
            setattr(course, k, v)
        _event(
            actor,
            course.pk,
            Action.TRAINING_COURSE_UPDATE,
            obj=course,
            changes=diff,
            post_id=grant.post_id,
        )
    return course


def _course_status(actor, course: Course, before: str, after: str, action, refusal: str) -> Course:
    grant = _grant(actor, course.org_unit)
    with transaction.atomic():
        if not Course.objects.filter(pk=course.pk, status=before).update(status=after):
            raise Conflict(refusal)
        course.status = after
        _event(
            actor,
            course.pk,
            action,
            obj=course,
            changes={"status": [before, after]},
            post_id=grant.post_id,
        )
    return course


def course_publish(*, actor, course: Course) -> Course:
    """A draft course goes public: its sessions open for enrolment in their windows."""
    return _course_status(
        actor,
        course,
        Course.Status.DRAFT,
        Course.Status.PUBLISHED,
        Action.TRAINING_COURSE_PUBLISH,
        "只有草稿状态的课程可以发布",
    )


def course_close(*, actor, course: Course) -> Course:
    """A published course ends: no more enrolment in any of its sessions."""
    return _course_status(
        actor,
        course,
        Course.Status.PUBLISHED,
        Course.Status.CLOSED,
        Action.TRAINING_COURSE_CLOSE,
        "只有已发布的课程可以结束",
    )


# --- Sessions ------------------------------------------------------------------------------


def _check_session(course: Course, data: dict, errors: dict, *, seated: int = 0) -> dict:
    clean = dict(data)
    clean["title"] = clean_text(data.get("title"), "title", "主题", 120, errors)
    clean["place"] = clean_text(data.get("place"), "place", "地点", 120, errors)
    clean["lecturer_name"] = clean_text(
        data.get("lecturer_name"), "lecturer_name", "主讲人姓名", 60, errors, required=False
    )
    modes = data.get("modes") or ""
    if isinstance(modes, list | tuple):
        modes = "+".join(m for m in MODES if m in modes)
    clean["modes"] = clean_text(modes, "modes", "形式", 60, errors, required=False)
    if (
        data.get("lecturer") is None
        and not clean["lecturer_name"]
        and "lecturer_name" not in errors
    ):
        errors["lecturer_name"] = "请选择主讲人，或填写外请主讲人姓名"
    for field, label in (
        ("starts_at", "开始时间"),
        ("ends_at", "结束时间"),
        ("enrol_opens_at", "报名开始时间"),
        ("enrol_closes_at", "报名截止时间"),
    ):
        if not isinstance(data.get(field), datetime):
            errors[field] = f"请填写{label}"
    if not errors.keys() & {"starts_at", "ends_at"} and data["ends_at"] <= data["starts_at"]:
        errors["ends_at"] = "结束时间应晚于开始时间"
    if not errors.keys() & {"enrol_opens_at", "enrol_closes_at"}:
        if data["enrol_closes_at"] <= data["enrol_opens_at"]:
            errors["enrol_closes_at"] = "报名截止时间应晚于报名开始时间"
        elif "starts_at" not in errors and data["enrol_closes_at"] > data["starts_at"]:
            errors["enrol_closes_at"] = "报名截止时间不能晚于场次开始时间"
    capacity = data.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        errors["capacity"] = "名额应为正整数"
    elif capacity > MAX_CAPACITY:
        errors["capacity"] = f"名额不能超过 {MAX_CAPACITY}"
    elif capacity < seated:
        errors["capacity"] = f"名额不能少于已报名的 {seated} 人"
    audience = data.get("audience")
    if audience is not None and not path_contains(course.org_unit.path, audience.path):
        errors["audience"] = f"面向范围应为{course.org_unit.name}或其下属工会"
    return clean


def session_create(*, actor, course: Course, **fields) -> Session:
    """The course's next session (期次 numbered in order)."""
    grant = _grant(actor, course.org_unit)
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: "未知的字段"})
    if course.status == Course.Status.CLOSED:
        raise Conflict("课程已结束，不能再增加场次")
    errors: dict[str, str] = {}
    data = _check_session(course, {f: fields.get(f) for f in SESSION_FIELDS}, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=course.pk).first()  # seq numbering
        seq = (course.sessions.aggregate(m=Max("seq"))["m"] or 0) + 1
        session = Session.objects.create(course=course, org_unit=course.org_unit, seq=seq, **data)
        _event(
            actor,
            course.pk,
            Action.TRAINING_SESSION_CREATE,
            obj=session,
            changes={"seq": [None, seq], **{k: [None, _plain(v)] for k, v in data.items() if v}},
            post_id=grant.post_id,
        )
    return session


def session_update(*, actor, session: Session, **changes) -> Session:
    """Change a session; its capacity never below those seated (a raised capacity seats the
    first waitlisted at once, while the session has not started)."""
    grant = _grant(actor, session.org_unit)
    unknown = set(changes) - set(SESSION_FIELDS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: "未知的字段"})
    with transaction.atomic():
        session = (
            Session.objects.select_for_update()
            .select_related("course__org_unit")
            .get(pk=session.pk)
        )
        if session.status == Session.Status.CANCELLED:
            raise Conflict("场次已取消，不能修改")
        before = {f: getattr(session, f) for f in SESSION_FIELDS}
        errors: dict[str, str] = {}
        data = _check_session(session.course, before | changes, errors, seated=session.seated)
        if errors:
            raise ValidationFailed(errors)
        diff = {
            k: [_plain(before[k]), _plain(data[k])] for k in SESSION_FIELDS if before[k] != data[k]
        }
        if not diff:
            return session
        for k, v in data.items():
            setattr(session, k, v)
        # The capacity through the same condition the seats are taken under.
        if not Session.objects.filter(pk=session.pk, seated__lte=data["capacity"]).update(**data):
            raise ValidationFailed({"capacity": f"名额不能少于已报名的 {session.seated} 人"})
        _event(
            actor,
            session.course_id,
            Action.TRAINING_SESSION_UPDATE,
            obj=session,
            changes=diff,
            post_id=grant.post_id,
        )
        _promote(session, timezone.now())
    return session


def session_cancel(*, actor, session: Session, reason: str) -> Session:
    """Cancel a session; every member enrolled or waiting is told, with the reason."""
    grant = _grant(actor, session.org_unit)
    errors: dict[str, str] = {}
    reason = clean_text(reason, "reason", "取消原因", 200, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("course").get(pk=session.pk)
        if session.status == Session.Status.CANCELLED:
            raise Conflict("场次已取消")
        if session.ends_at <= timezone.now():
            raise Conflict("场次已结束，不能取消")
        Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
        session.status = Session.Status.CANCELLED
        people = list(
            session.enrolments.filter(status__in=LIVE).values_list("person_id", flat=True)
        )
        text = (
            f"课程取消：{session.course.name} 第{session.seq}期“{session.title}”"
            f"（{cn_datetime(session.starts_at)}）已取消，原因：{reason}"
        )[:300]
        Message.objects.bulk_create([Message(person_id=p, text=text) for p in people], 2000)
        _event(
            actor,
            session.course_id,
            Action.TRAINING_SESSION_CANCEL,
            obj=session,
            changes={
                "status": ["scheduled", "cancelled"],
                "reason": [None, reason],
                "told": [None, len(people)],
            },
            post_id=grant.post_id,
        )
    return session


# --- Enrolment -----------------------------------------------------------------------------


def _take_seat(session_id: int) -> bool:
    return bool(
        Session.objects.filter(
            pk=session_id, status=Session.Status.SCHEDULED, seated__lt=F("capacity")
        ).update(seated=F("seated") + 1)
    )


def enrolment_create(*, actor, session: Session, person: Person | None = None) -> Enrolment:
    """Enrol a member: the member themself (``person`` None: the actor's own record, within
    the enrolment window), or staff with ``training.manage`` at the organiser on a member's
    behalf (until the session starts). Seated while seats are left, else on the waitlist.
    Refused when the session is cancelled or its course not open, the member is outside its
    audience or already enrolled."""
    now = timezone.now()
    post_id = None
    session = Session.objects.select_related("course", "audience").get(pk=session.pk)
    if person is None:
        person = member_person(actor)
        if person is None:
            raise NotFound("您的账号没有关联会员档案")
        if now < session.enrol_opens_at:
            raise ValidationFailed(
                {"session": f"报名尚未开始（{cn_datetime(session.enrol_opens_at)} 开始）"}
            )
        if now >= session.enrol_closes_at:
            raise ValidationFailed({"session": "报名已截止"})
    else:
        post_id = _grant(actor, session.org_unit).post_id
        if now >= session.starts_at:
            raise ValidationFailed({"session": "场次已开始，不能再报名"})
    if session.status == Session.Status.CANCELLED:
        raise ValidationFailed({"session": "该场次已取消"})
    if session.course.status != Course.Status.PUBLISHED:
        raise ValidationFailed({"session": "该课程未在报名中"})
    if not selectors.covers(session, selectors.member_union(person)):
        raise ValidationFailed({"person": "不在该场次的面向范围内（按所在基层工会会籍判断）"})
    if Enrolment.objects.filter(session=session, person=person, status__in=LIVE).exists():
        raise ValidationFailed({"person": "已报名该场次，不能重复报名"})
    try:
        with transaction.atomic():
            took = _take_seat(session.pk)
            if not took:
                # Full: hold the session's row, so this insert's id follows commit order,
                # and look again (a seat may have been freed while we waited).
                Session.objects.select_for_update().filter(pk=session.pk).values_list("pk").first()
                took = _take_seat(session.pk)
            enrolment = Enrolment.objects.create(
                session=session,
                person=person,
                status=Enrolment.Status.SEATED if took else Enrolment.Status.WAITLISTED,
                seated_at=now if took else None,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            _event(
                actor,
                session.course_id,
                Action.TRAINING_ENROL,
                obj=enrolment,
                org_unit_id=session.org_unit_id,
                changes={"person": [None, person.pk], "status": [None, enrolment.status]},
                post_id=post_id,
            )
    except IntegrityError:
        # enrolment_one_live: the same member at the same moment (a double press)
        raise ValidationFailed({"person": "已报名该场次，不能重复报名"}) from None
    return enrolment


def enrolment_cancel(*, actor, enrolment: Enrolment) -> Enrolment:
    """Cancel an enrolment (the member's own, or by staff of the organiser) before the
    session starts. A freed seat goes to the first on the waitlist, who is told."""
    session = Session.objects.select_related("course").get(pk=enrolment.session_id)
    post_id = None
    own = member_person(actor)
    if own is None or own.pk != enrolment.person_id:
        post_id = _grant(actor, session.org_unit).post_id
    now = timezone.now()
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("course").get(pk=session.pk)
        enrolment = Enrolment.objects.get(pk=enrolment.pk)
        if enrolment.status not in LIVE:
            raise Conflict("该报名已取消")
        if now >= session.starts_at:
            raise Conflict("场次已开始，不能取消报名")
        before = enrolment.status
        Enrolment.objects.filter(pk=enrolment.pk).update(
            status=Enrolment.Status.CANCELLED, cancelled_at=now
        )
        enrolment.status, enrolment.cancelled_at = Enrolment.Status.CANCELLED, now
        _event(
            actor,
            session.course_id,
            Action.TRAINING_ENROL_CANCEL,
            obj=enrolment,
            org_unit_id=session.org_unit_id,
            changes={"status": [before, "cancelled"]},
            post_id=post_id,
        )
        if before == Enrolment.Status.SEATED:
            Session.objects.filter(pk=session.pk).update(seated=F("seated") - 1)
            _promote(session, now)
    return enrolment


def _promote(session: Session, now: datetime) -> int:
    """Seat the first waitlisted (arrival order: the id) while seats are free and the
    session has not started; each is told. Inside the caller's transaction, which holds the
    session's row."""
    if now >= session.starts_at or session.status != Session.Status.SCHEDULED:
        return 0
    promoted = 0
    for enrolment in session.enrolments.filter(status=Enrolment.Status.WAITLISTED).order_by("id"):
        if not _take_seat(session.pk):
            break
        Enrolment.objects.filter(pk=enrolment.pk).update(
            status=Enrolment.Status.SEATED, seated_at=now
        )
        enrolment.status = Enrolment.Status.SEATED
        Message.objects.create(
            person_id=enrolment.person_id,
            text=f"候补成功：您已获得“{session.course.name}”第{session.seq}期“{session.title}”的名额"
            f"（{cn_datetime(session.starts_at)}，{session.place}），请准时参加"[:300],
        )
        _event(
            None,
            session.course_id,
            Action.TRAINING_ENROL_PROMOTE,
            obj=enrolment,
            org_unit_id=session.org_unit_id,
            changes={"status": ["waitlisted", "seated"]},
        )
        promoted += 1
    return promoted


# --- Attendance ----------------------------------------------------------------------------


def attendance_checkin(*, actor, token: str) -> tuple[Attendance, bool]:
    """A member checks in by scanning the venue's code: ``(attendance, created)``; a second
    scan gives the first attendance back (已签到). Refused: a forged or expired code, a
    member not seated in that session, outside 60 minutes before the start to the end."""
    session_id, why = checkin.session_of(token)
    if session_id is None:
        raise ValidationFailed({"token": why})
    person = member_person(actor)
    if person is None:
        raise ValidationFailed({"token": "您的账号没有关联会员档案，不能签到"})
    session = Session.objects.select_related("course").filter(pk=session_id).first()
    if session is None or session.status == Session.Status.CANCELLED:
        raise ValidationFailed({"token": "该场次不存在或已取消"})
    existing = Attendance.objects.filter(session=session, person=person).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    if now < session.starts_at - timedelta(minutes=selectors.CHECKIN_EARLY_MINUTES):
        raise ValidationFailed(
            {"token": f"签到尚未开始：开课前 {selectors.CHECKIN_EARLY_MINUTES} 分钟起可签到"}
        )
    if now > session.ends_at:
        raise ValidationFailed({"token": "场次已结束，不能再签到"})
    try:
        with transaction.atomic():
            # The seat is checked under its row's lock, in the insert's transaction: a cancel
            # committed meanwhile is seen (PostgreSQL re-reads the locked row; SQLite's
            # IMMEDIATE transactions queue), a cancel arriving later waits for this one.
            seat = (
                Enrolment.objects.select_for_update()
                .filter(session=session, person=person, status=Enrolment.Status.SEATED)
                .values_list("pk", flat=True)
                .first()
            )
            if seat is None:
                raise ValidationFailed(
                    {"token": "您未获得该场次的名额（未报名或仍在候补），不能签到"}
                )
            attendance = Attendance.objects.create(
                session=session,
                person=person,
                method=Attendance.Method.QR,
                token_digest=checkin.digest(token),
            )
            _event(
                actor,
                session.course_id,
                Action.TRAINING_CHECKIN,
                obj=attendance,
                org_unit_id=session.org_unit_id,
                changes={
                    "person": [None, person.pk],
                    "token": [None, attendance.token_digest[:16]],
                },
            )
    except IntegrityError:  # the same member's second phone at the same moment
        return Attendance.objects.get(session=session, person=person), False
    return attendance, True


def _markable(session: Session, now: datetime) -> None:
    if session.status == Session.Status.CANCELLED:
        raise Conflict("场次已取消，不能登记签到")
    if now < session.starts_at - timedelta(minutes=selectors.CHECKIN_EARLY_MINUTES):
        raise Conflict(f"开课前 {selectors.CHECKIN_EARLY_MINUTES} 分钟起才能登记签到")


def attendance_mark(*, actor, session: Session, person: Person) -> Attendance:
    """Staff mark one enrolled member present (a forgotten phone, a paper list afterwards)."""
    grant = _grant(actor, session.org_unit)
    _markable(session, timezone.now())
    if not Enrolment.objects.filter(session=session, person=person, status__in=LIVE).exists():
        raise ValidationFailed({"person": "该人员没有报名本场次"})
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                session=session, person=person, method=Attendance.Method.STAFF, marked_by=actor
            )
            _event(
                actor,
                session.course_id,
                Action.TRAINING_ATTENDANCE_MARK,
                obj=attendance,
                org_unit_id=session.org_unit_id,
                changes={"person": [None, person.pk]},
                post_id=grant.post_id,
            )
    except IntegrityError:
        raise ValidationFailed({"person": f"{person.name}已签到"}) from None
    return attendance


def attendance_bulk(*, actor, session: Session, people: list[Person]) -> int:
    """A sign-in sheet: every member of ``people`` (each holding a live enrolment) marked
    present at once, those already present left alone; ONE event for the batch. Returns how
    many were marked."""
    grant = _grant(actor, session.org_unit)
    _markable(session, timezone.now())
    if not people:
        raise ValidationFailed({"people": "请选择或上传签到人员"})
    if len(people) > BULK_MAX:
        raise ValidationFailed({"people": f"一次最多登记 {BULK_MAX} 人"})
    ids = {p.pk for p in people}
    enrolled = set(
        Enrolment.objects.filter(session=session, status__in=LIVE, person_id__in=ids).values_list(
            "person_id", flat=True
        )
    )
    outside = [p.name for p in people if p.pk not in enrolled]
    if outside:
        raise ValidationFailed({"people": f"以下人员没有报名本场次：{'、'.join(outside[:10])}"})
    with transaction.atomic():
        Session.objects.select_for_update().filter(pk=session.pk).values_list("pk").first()
        present = set(
            Attendance.objects.filter(session=session, person_id__in=ids).values_list(
                "person_id", flat=True
            )
        )
        new = sorted(ids - present)
        Attendance.objects.bulk_create(
            [
                Attendance(
                    session=session, person_id=p, method=Attendance.Method.STAFF, marked_by=actor
                )
                for p in new
            ],
            2000,
        )
        _event(
            actor,
            session.course_id,
            Action.TRAINING_ATTENDANCE_BULK,
            obj=session,
            changes={
                "marked": [None, len(new)],
                "already": [None, len(present)],
                "people": [None, id_ranges(new)],
            },
            post_id=grant.post_id,
        )
    return len(new)


# --- Certificates --------------------------------------------------------------------------


def certificates_issue(*, actor, session: Session) -> int:
    """After the session ends, a certificate for everyone present who has none yet (calling
    it again issues only the missing ones); one event. Returns how many were issued."""
    grant = _grant(actor, session.org_unit)
    if session.status == Session.Status.CANCELLED:
        raise Conflict("场次已取消，不能出具听课证明")
    if timezone.now() < session.ends_at:
        raise Conflict("场次结束后才能出具听课证明")
    with transaction.atomic():
        Session.objects.select_for_update().filter(pk=session.pk).values_list("pk").first()
        missing = list(
            session.attendances.filter(certificate__isnull=True)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        made = Certificate.objects.bulk_create(
            [Certificate(attendance_id=a, code=new_receipt(), issued_by=actor) for a in missing],
            2000,
        )
        _event(
            actor,
            session.course_id,
            Action.TRAINING_CERTIFICATES_ISSUE,
            obj=session,
            changes={"issued": [None, len(made)], "attendances": [None, id_ranges(missing)]},
            post_id=grant.post_id,
        )
    return len(made)


def certificate_download(*, actor, certificate: Certificate, check_url: str) -> bytes:
    """A certificate as PDF (it names its holder): the holder's own, or by staff with
    ``training.view`` at the organiser; recorded. ``check_url``: the public check page
    printed on it. ``certificates.NoFont`` when the Chinese font is missing (nothing
    recorded)."""
    a = certificate.attendance
    s = a.session
    post_id = None
    own = member_person(actor)
    if own is None or own.pk != a.person_id:
        post_id = access.require_at(actor, VIEW, s.org_unit).post_id
    with transaction.atomic():
        pdf = certificates.certificate_pdf(
            code=certificate.code,
            holder=a.person.name,
            course=s.course.name,
            session=f"第{s.seq}期“{s.title}”",
            organiser=s.org_unit.name,
            held_on=s.starts_at,
            check_url=check_url,
        )
        _event(
            actor,
            s.course_id,
            Action.TRAINING_CERTIFICATE_DOWNLOAD,
            obj=certificate,
            org_unit_id=s.org_unit_id,
            changes={"holder": [None, a.person_id]},
            post_id=post_id,
        )
    return pdf


# --- Exports -------------------------------------------------------------------------------


def session_roster_export(*, actor, session: Session) -> bytes:
    """The session's enrolments and attendance as Excel (names, unions, times: personal
    data leaving the platform), by ``training.view`` at the organiser; recorded with its
    number of rows."""
    grant = access.require_at(actor, VIEW, session.org_unit)
    with transaction.atomic():
        book, rows = sheets.roster_book(session)
        _event(
            actor,
            session.course_id,
            Action.TRAINING_SESSION_EXPORT,
            obj=session,
            changes={"rows": [None, rows]},
            post_id=grant.post_id,
        )
    return book
