"""Every read of the courses feature: courses and sessions in the viewer's scope
(``training.view`` at the organiser), a session's roster (seated, waitlist with positions,
attendance), what a member sees of their own (open sessions, enrolments, certificates), and
the public check of a certificate by its code. Reads only: no writes, no events."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gonghui.common.errors import NotFound
from gonghui.common.schemas import MAX_ID
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, path_contains, path_prefixes
from gonghui.people.models import Membership, Person
from gonghui.people.search import matching_q
from gonghui.perks.giveaways.draw import is_receipt, normalize_receipt
from gonghui.perks.models import Message
from gonghui.registry.models import Award
from gonghui.training.models import Attendance, Certificate, Course, Enrolment, Session

VIEW, MANAGE = "training.view", "training.manage"
LIVE = (Enrolment.Status.SEATED, Enrolment.Status.WAITLISTED)
CHECKIN_EARLY_MINUTES = 60

COURSE_SORTS = {
    "name": "name",
    "-name": "-name",
    "kind": "kind",
    "-kind": "-kind",
    "status": "status",
    "-status": "-status",
    "org_unit": "org_unit__path",
    "-org_unit": "-org_unit__path",
    "created": "created_at",
    "-created": "-created_at",
}


# --- Staff: courses and sessions ---------------------------------------------------------


def course_list(
    actor, *, q: str = "", kind: str = "", status: str = "", node: OrgUnit | None = None, sort=""
) -> QuerySet[Course]:
    qs = access.restrict(Course.objects.all(), actor, VIEW).select_related("org_unit")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(partner__contains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if node is not None:
        qs = qs.filter(access.subtree_q(node, via="org_unit"))
    qs = qs.annotate(session_count=Count("sessions"))
    order = COURSE_SORTS.get(sort)
    return qs.order_by(order, "-id") if order else qs.order_by("-created_at", "-id")


def organising_units(actor) -> QuerySet[OrgUnit]:
    """The union nodes where the actor may organise courses (``training.manage``)."""
    return access.visible_units(actor, MANAGE).filter(is_active=True).order_by("path")


def course_get(actor, pk) -> Course:
    return access.get_or_404(Course.objects.select_related("org_unit"), actor, VIEW, pk=pk)


def may_manage(actor, unit: OrgUnit) -> bool:
    return access.can_at(actor, MANAGE, unit)


def course_to_manage(actor, pk) -> Course:
    """A course the actor may manage; NotFound for one they cannot even see."""
    course = course_get(actor, pk)
    access.require_at(actor, MANAGE, course.org_unit, view_perm=VIEW)
    return course


def sessions_of(course: Course) -> QuerySet[Session]:
    return (
        course.sessions.select_related("lecturer", "audience")
        .annotate(
            waitlisted=Count("enrolments", filter=Q(enrolments__status="waitlisted")),
            present=Count("attendances", distinct=True),
        )
        .order_by("seq", "id")
    )


def session_get(actor, pk) -> Session:
    return access.get_or_404(
        Session.objects.select_related("course", "org_unit", "lecturer", "audience"),
        actor,
        VIEW,
        pk=pk,
    )


def session_to_manage(actor, pk) -> Session:
    session = session_get(actor, pk)
    access.require_at(actor, MANAGE, session.org_unit, view_perm=VIEW)
    return session


def seated(session: Session) -> QuerySet[Enrolment]:
    return (
        session.enrolments.filter(status=Enrolment.Status.SEATED)
        .select_related("person", "person__org_unit")
        .annotate(
            present=Exists(Attendance.objects.filter(session=session, person=OuterRef("person")))
        )
        .order_by("id")
    )


def waitlist(session: Session) -> list[Enrolment]:
    """The waitlist in arrival order (the enrolment's id), each with its ``position``."""
    rows = list(
        session.enrolments.filter(status=Enrolment.Status.WAITLISTED)
        .select_related("person", "person__org_unit")
        .order_by("id")
    )
    for position, row in enumerate(rows, start=1):
        row.position = position
    return rows


def attendances(session: Session) -> QuerySet[Attendance]:
    return session.attendances.select_related("person", "person__org_unit", "certificate").order_by(
        "at", "id"
    )


def roster_rows(session: Session) -> list[tuple]:
    """Every enrolment of the session with its attendance, for the Excel export."""
    present = {a.person_id: a for a in session.attendances.all()}
    rows = []
    for e in (
        session.enrolments.select_related("person", "person__org_unit").order_by("id").iterator()
    ):
        a = present.get(e.person_id)
        rows.append((e, a))
    return rows


def enrolment_in_session(session: Session, pk) -> Enrolment:
    try:
        return session.enrolments.select_related("person").get(pk=pk)
    except (Enrolment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def people_in_session(session: Session, pks) -> list[Person]:
    """The people of ``pks`` holding a live enrolment of the session (others are ignored:
    nobody reaches a person through a session they are not enrolled in)."""
    ids = [int(p) for p in pks if str(p).isascii() and str(p).isdigit() and 0 < int(p) <= MAX_ID]
    return list(
        Person.objects.filter(
            pk__in=session.enrolments.filter(status__in=LIVE, person_id__in=ids).values("person_id")
        )
    )


def enrolled_choices(session: Session) -> list[tuple[int, str]]:
    """(person id, name) of the live enrolments: the sign-in sheet's multi-select."""
    return list(
        session.enrolments.filter(status__in=LIVE)
        .order_by("person__name", "id")
        .values_list("person_id", "person__name")
    )


def _audience_people(session: Session) -> QuerySet[Person]:
    members = Membership.objects.filter(status=Membership.Status.ACTIVE)
    root = session.audience or session.org_unit
    members = members.filter(access.subtree_q(root, via="org_unit"))
    return Person.objects.filter(pk__in=members.values("person_id"))


def audience_member(session: Session, pk) -> Person | None:
    """A member of the session's audience (staff enrol on their behalf), else None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return _audience_people(session).filter(pk=pk).first() if 0 < pk <= MAX_ID else None


def audience_members(session: Session, q: str, *, limit: int = 20) -> list[Person]:
    """Members in the session's audience matching ``q`` (name, pinyin or initials:
    ``people.search``): whom staff may enrol on their behalf."""
    q = (q or "").strip()
    if not q:
        return []
    return list(
        _audience_people(session)
        .filter(matching_q(q))
        .select_related("org_unit")
        .order_by("name", "id")[:limit]
    )


def _lecturers(actor) -> QuerySet[Person]:
    """Who may be picked as a lecturer: people in the actor's ``training.manage`` scope, or
    honoured in the registry anywhere (a city craftsman lectures in any district); the
    honoured first."""
    honoured = Award.objects.filter(person=OuterRef("pk"))
    return (
        Person.objects.filter(merged_into__isnull=True)
        .filter(access.scope_q(actor, MANAGE) | Q(Exists(honoured)))
        .annotate(honoured=Exists(honoured))
    )


def lecturer_candidates(actor, q: str, *, limit: int = 20) -> list[Person]:
    """Lecturers matching ``q`` (name, pinyin or initials; the lecturer's search box)."""
    q = (q or "").strip()
    if not q:
        return []
    return list(
        _lecturers(actor)
        .filter(matching_q(q))
        .select_related("org_unit", "employer")
        .order_by("-honoured", "name_sort", "id")[:limit]
    )


def lecturer_of(actor, pk) -> Person:
    try:
        return _lecturers(actor).get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def certificate_get(actor, pk) -> Certificate:
    """A certificate of a session in the actor's view scope."""
    return access.get_or_404(
        Certificate.objects.select_related(
            "attendance__person", "attendance__session__course", "attendance__session__org_unit"
        ),
        actor,
        VIEW,
        via="attendance__session__org_unit",
        pk=pk,
    )


# --- Members -------------------------------------------------------------------------------


def member_union(person: Person) -> OrgUnit | None:
    """The union of the person's active membership (what decides the audience)."""
    m = (
        Membership.objects.filter(person=person, status=Membership.Status.ACTIVE)
        .select_related("org_unit")
        .first()
    )
    return m.org_unit if m else None


def audience_q(union: OrgUnit | None) -> Q:
    """Sessions whose audience covers a member of ``union`` (open to all, or ``union`` or a
    node above it); nothing for someone without an active membership."""
    if union is None:
        return Q(pk__in=[])
    return Q(audience__isnull=True) | Q(audience__path__in=path_prefixes(union.path))


def covers(session: Session, union: OrgUnit | None) -> bool:
    if union is None:
        return False
    return session.audience_id is None or path_contains(session.audience.path, union.path)


def sessions_open_to(person: Person) -> QuerySet[Session]:
    now = timezone.now()
    return (
        Session.objects.filter(
            audience_q(member_union(person)),
            status=Session.Status.SCHEDULED,
            course__status=Course.Status.PUBLISHED,
            enrol_opens_at__lte=now,
            enrol_closes_at__gt=now,
        )
        .exclude(
            pk__in=Enrolment.objects.filter(person=person, status__in=LIVE).values("session_id")
        )
        .select_related("course", "lecturer")
        .order_by("starts_at", "id")
    )


def enrolments_of(person: Person, *, limit: int = 50) -> list[Enrolment]:
    """The member's enrolments, newest first, a waitlisted one with its ``position``."""
    rows = list(
        Enrolment.objects.filter(person=person)
        .select_related("session__course", "session__lecturer")
        .order_by("-id")[:limit]
    )
    for row in rows:
        row.position = waitlist_position(row) if row.status == Enrolment.Status.WAITLISTED else None
        row.present = Attendance.objects.filter(session_id=row.session_id, person=person).exists()
    return rows


def waitlist_position(enrolment: Enrolment) -> int:
    return Enrolment.objects.filter(
        session_id=enrolment.session_id, status=Enrolment.Status.WAITLISTED, id__lte=enrolment.id
    ).count()


def member_enrolment(person: Person, pk) -> Enrolment:
    """The member's own enrolment; NotFound for anybody else's."""
    try:
        return Enrolment.objects.select_related("session__course").get(pk=pk, person=person)
    except (Enrolment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def member_session(person: Person, pk) -> Session:
    """A session the member may enrol in or holds an enrolment of."""
    union = member_union(person)
    try:
        return (
            Session.objects.filter(
                audience_q(union)
                | Q(pk__in=Enrolment.objects.filter(person=person).values("session_id"))
            )
            .select_related("course", "audience", "org_unit")
            .get(pk=pk)
        )
    except (Session.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def certificates_of(person: Person) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(attendance__person=person)
        .select_related("attendance__session__course")
        .order_by("-issued_at", "-id")
    )


def member_certificate(person: Person, pk) -> Certificate:
    try:
        return Certificate.objects.select_related(
            "attendance__person", "attendance__session__course", "attendance__session__org_unit"
        ).get(pk=pk, attendance__person=person)
    except (Certificate.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def member_messages(person: Person, *, limit: int = 10) -> QuerySet[Message]:
    return Message.objects.filter(person=person).order_by("-created_at", "-id")[:limit]


# --- Public: the certificate check -------------------------------------------------------


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate of a code as typed (lower case, spaces, O for 0 ...), or None."""
    code = normalize_receipt(code or "")
    if not is_receipt(code):
        return None
    return (
        Certificate.objects.select_related(
            "attendance__person", "attendance__session__course", "attendance__session__org_unit"
        )
        .filter(code=code)
        .first()
    )
