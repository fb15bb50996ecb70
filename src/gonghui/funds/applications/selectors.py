"""Reads of applications, scoped through ``orgs.access``: a staff member sees the
applications filed at a union within their ``funds.view`` scope, a member their own; and
the reads the services decide with (the applicant's membership, hardship grade, a
finalist's published place, what a person already has from a programme this year)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet, Sum

from gonghui.common.errors import NotFound
from gonghui.contests.models import Competition, Entrant, Stage
from gonghui.contests.visibility import public_results
from gonghui.files.models import Attachment
from gonghui.funds.applications.eligibility import DOCUMENTS
from gonghui.funds.models import Application, Entitlement, Hardship, Programme
from gonghui.funds.programmes.selectors import current_rule, programme_get  # noqa: F401  (re-exported: the one rule)
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people import search
from gonghui.people.models import Membership, Person
from gonghui.people.selectors import member_person
from gonghui.registry.models import Studio
from gonghui.training.studios import selectors as studio_selectors

PENDING = (
    Application.Status.SUBMITTED,
    Application.Status.VERIFIED,
    Application.Status.REVIEWED,
)
# The level an application waits at, by its status, and who decides there.
STATUS_LEVEL = {"submitted": 1, "verified": 2, "reviewed": 3}
LEVEL_PERM = {1: "funds.verify", 2: "funds.review", 3: "funds.approve"}
LEVEL_NAME = {1: "基层核实", 2: "区级审核", 3: "市级审批"}
# A review at level 2 or 3 is made from a post at these levels (a grassroots or street post
# holding funds.review does not count); level 3 from the city's.
LEVEL_UNITS = {
    1: None,
    2: (OrgUnit.Level.CITY, OrgUnit.Level.DISTRICT, OrgUnit.Level.INDUSTRY),
    3: (OrgUnit.Level.CITY,),
}
SORTS = {
    "created": "created_at",
    "-created": "-created_at",
    "amount": "amount",
    "-amount": "-amount",
    "name": "person__name_sort",
    "-name": "-person__name_sort",
    "status": "status",
    "-status": "-status",
}


# --- The applicant ---------------------------------------------------------------------------


def active_membership(person: Person) -> Membership | None:
    return (
        Membership.objects.filter(person=person, status=Membership.Status.ACTIVE)
        .select_related("org_unit")
        .first()
    )


def hardship_grade(person: Person, on: date) -> str:
    """The grade of the person's open hardship record on ``on`` ("" without one)."""
    found = (
        Hardship.objects.filter(person=person, since__lte=on)
        .filter(Q(until__isnull=True) | Q(until__gte=on))
        .order_by("-since")
        .values_list("grade", flat=True)
        .first()
    )
    return found or ""


def finalist_place(competition_id: int, person: Person) -> int | None:
    """The person's published place in the competition's last stage (its top level), from
    the contests' results (``visibility.public_results``): None without one."""
    last = Stage.objects.filter(competition_id=competition_id).order_by("-order").first()
    entrant = Entrant.objects.filter(
        Q(person=person) | Q(person__merged_into=person), competition_id=competition_id
    ).first()
    if last is None or entrant is None:
        return None
    result = public_results().filter(stage=last, entrant=entrant).order_by("place").first()
    return result.place if result is not None else None


def competition_names(ids: list[int]) -> list[tuple[int, str]]:
    """The listed competitions by id, with their names (as listed, missing ones by id)."""
    names = dict(Competition.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [(i, names.get(i, f"竞赛 {i}")) for i in ids]


def taken_this_year(person: Person, programme: Programme, year: int) -> int:
    """What a person has from the programme in ``year`` and has asked it for: entitlements
    not cancelled, and applications still under review (fen)."""
    owed = Entitlement.objects.filter(person=person, programme=programme, year=year).exclude(
        status=Entitlement.Status.CANCELLED
    )
    asked = Application.objects.filter(
        person=person, programme=programme, year=year, status__in=PENDING
    )
    return (owed.aggregate(s=Sum("amount"))["s"] or 0) + (
        asked.aggregate(s=Sum("amount"))["s"] or 0
    )


def studio_get(pk) -> Studio:
    try:
        return Studio.objects.select_related("org_unit", "leader", "employer").get(pk=int(pk))
    except (Studio.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def studios_for(*, actor, programme: Programme) -> QuerySet[Studio]:
    """Active studios at unions under the programme's organiser that ``actor`` may apply
    for (``funds.apply``), with a leader to be paid."""
    qs = Studio.objects.filter(
        access.subtree_q(programme.org_unit, via="org_unit"),
        status=Studio.Status.ACTIVE,
        leader__isnull=False,
    ).select_related("employer", "leader")
    return access.restrict(qs, actor, "funds.apply").order_by("name", "pk")


def studio_reports_for(studios: QuerySet[Studio]):
    """The approved yearly reports of ``studios`` (a grant is applied for against one)."""
    return studio_selectors.approved_reports(studios.values("pk"))


def studio_report(studio: Studio, year: int):
    """The studio's approved report of ``year``, or None: no grant without it."""
    return studio_selectors.approved_report(studio.pk, year)


# --- Programmes open for applications --------------------------------------------------------


def open_programmes(on: date) -> QuerySet[Programme]:
    return (
        Programme.objects.filter(is_active=True, entry=Programme.Entry.APPLY)
        .filter(Q(opens_on__isnull=True) | Q(opens_on__lte=on))
        .filter(Q(closes_on__isnull=True) | Q(closes_on__gte=on))
        .select_related("org_unit")
        .order_by("org_unit__path", "code")
    )


def programmes_for_member(person: Person | None, on: date) -> list[Programme]:
    """The apply programmes a member may apply to: open, organised at or above their
    membership's union (a studio grant is applied for by the unions, not listed here)."""
    if person is None:
        return []
    membership = active_membership(person)
    if membership is None:
        return []
    path = membership.org_unit.path
    return [
        p
        for p in open_programmes(on).exclude(kind=Programme.Kind.STUDIO)
        if path.startswith(p.org_unit.path)
    ]


def programme_for_apply(pk) -> Programme:
    """An apply programme (open or not: the service says why it is closed)."""
    try:
        return Programme.objects.select_related("org_unit").get(
            pk=int(pk), entry=Programme.Entry.APPLY
        )
    except (Programme.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


# --- Staff lists and pages -------------------------------------------------------------------


@dataclass
class Filters:
    status: str = ""
    level: str = ""
    district: str = ""
    q: str = ""
    sort: str = ""


def application_list(*, actor, programme: Programme, filters: Filters) -> QuerySet[Application]:
    """The programme's applications in the actor's funds.view scope, filtered and sorted."""
    qs = access.restrict(
        Application.objects.filter(programme=programme).select_related(
            "person", "org_unit", "studio"
        ),
        actor,
        "funds.view",
    )
    if filters.status in Application.Status.values:
        qs = qs.filter(status=filters.status)
    if filters.level in ("1", "2", "3"):
        status = {v: k for k, v in STATUS_LEVEL.items()}[int(filters.level)]
        qs = qs.filter(status=status)
    if filters.district:
        district = OrgUnit.objects.filter(pk=filters.district if filters.district.isdigit() else 0)
        unit = district.first()
        qs = qs.filter(access.subtree_q(unit, via="org_unit")) if unit else qs.none()
    if filters.q.strip():
        qs = qs.filter(search.matching_q(filters.q, via="person_id"))
    return qs.order_by(SORTS.get(filters.sort, "-created_at"), "-pk")


def districts(*, actor) -> QuerySet[OrgUnit]:
    """The district and industry unions the actor sees funds of (the list's filter)."""
    return access.restrict(
        OrgUnit.objects.filter(level__in=(OrgUnit.Level.DISTRICT, OrgUnit.Level.INDUSTRY)),
        actor,
        "funds.view",
        via="",
    ).order_by("path")


def application_get(*, actor, pk) -> Application:
    """One application filed at a union within the actor's funds.view scope."""
    return access.get_or_404(
        Application.objects.select_related(
            "programme", "programme__org_unit", "person", "org_unit", "studio", "rule_version"
        ),
        actor,
        "funds.view",
        pk=pk,
    )


def reviews_of(application: Application):
    return application.reviews.select_related("reviewer", "rule_version").order_by("level", "id")


@dataclass
class Step:
    """What the actor may do next with an application: decide at ``level`` (``final``:
    the pass approves), or nothing, and why (``why``)."""

    level: int | None
    name: str = ""
    final: bool = False
    why: str = ""


def next_step(actor, application: Application) -> Step:
    """The one decision the actor may make now, or why none (for the detail page: the
    decide form shows only the valid next step; the service checks all of it again)."""
    level = STATUS_LEVEL.get(application.status)
    if level is None or level > application.programme.levels:
        return Step(None, why="申请已办结")
    name = LEVEL_NAME[level]
    if actor.pk in (application.applicant_user_id, application.created_by_id):
        return Step(None, name, why=f"待{name}：申请人本人或经办人不能审核（审核与经办分离）")
    if application.reviews.filter(reviewer=actor).exists():
        return Step(None, name, why=f"待{name}：您已审核过该申请的上一级，同一人不能审核两级")
    if reviewer_grant(actor, application, level) is None:
        return Step(None, name, why=f"待{name}：由有权限的工会审核")
    return Step(level, name, final=level == application.programme.levels)


def reviewer_grant(actor, application: Application, level: int):
    """The actor's post that may decide ``application`` at ``level`` (None if none):
    ``LEVEL_PERM`` covering the application's union, from a post at ``LEVEL_UNITS``."""
    perm = LEVEL_PERM[level]
    found = [
        g for g in access.grants(actor) if perm in g.permissions and g.covers(application.org_unit)
    ]
    wanted = LEVEL_UNITS[level]
    if wanted and found:
        levels = dict(
            OrgUnit.objects.filter(pk__in={g.unit_id for g in found}).values_list("pk", "level")
        )
        found = [g for g in found if levels.get(g.unit_id) in wanted]
    return found[0] if found else None


def documents(application: Application) -> list[tuple[str, str, Attachment | None]]:
    """The application's documents: (key, label, attachment) in the kind's order."""
    stored = dict(
        (str(a.pk), a)
        for a in Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id=str(application.pk),
        )
    )
    route = (
        application.facts.get("route", "certificate")
        if application.programme.kind == Programme.Kind.CERTIFICATE
        else application.programme.kind
    )
    labels = DOCUMENTS.get(route, {})
    ids = application.facts.get("documents", {}) or {}
    return [(key, label, stored.get(str(ids.get(key)))) for key, label in labels.items()]


def document_of(application: Application, attachment_id) -> Attachment:
    try:
        return Attachment.objects.get(
            pk=int(attachment_id),
            content_type=ContentType.objects.get_for_model(Application),
            object_id=str(application.pk),
        )
    except (Attachment.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def may_see_documents(actor, application: Application) -> bool:
    """Who may download an application's documents (medical and hardship papers): its
    reviewers in scope — a post holding a review permission or funds.apply over its union
    — besides the applicant on their own pages. Not every files.view post over the union."""
    return any(
        g.covers(application.org_unit)
        and g.permissions & {"funds.apply", "funds.verify", "funds.review", "funds.approve"}
        for g in access.grants(actor)
    )


# --- The member's own ------------------------------------------------------------------------


def own_q(person: Person) -> Q:
    return Q(person=person) | Q(person__merged_into=person)


def my_applications(user) -> list[Application]:
    person = member_person(user)
    if person is None:
        return []
    return list(
        Application.objects.filter(own_q(person))
        .select_related("programme", "studio")
        .order_by("-created_at", "-pk")
    )


def my_application(user, pk) -> Application:
    person = member_person(user)
    if person is None:
        raise NotFound()
    try:
        return Application.objects.select_related("programme", "person", "studio").get(
            own_q(person), pk=int(pk)
        )
    except (Application.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def people_for_apply(*, actor, q: str) -> list[Person]:
    """People with an active membership at a union where the actor may apply on their
    behalf (``funds.apply``), found by name as every people search does (pinyin too)."""
    if not (q or "").strip():
        return []
    found = Person.objects.filter(
        search.matching_q(q, via="pk"),
        access.scope_q(actor, "funds.apply", via="memberships__org_unit"),
        memberships__status=Membership.Status.ACTIVE,
        merged_into__isnull=True,
    ).select_related("org_unit", "employer")
    return list(found.distinct().order_by("name_sort", "pk")[:30])


def person_for_apply(*, actor, pk) -> Person:
    try:
        person = Person.objects.select_related("org_unit").get(pk=int(pk))
    except (Person.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    membership = active_membership(person)
    if membership is None or not access.can_at(actor, "funds.apply", membership.org_unit):
        raise NotFound()
    return person
