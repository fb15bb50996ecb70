"""Reads of outreach, limited to the actor's ``training.view`` scope: speakers' bureaus and
their talks, reception days and their problems (with working days left), alliances; the
talk counts by district and year; the people, studios, enterprises and unions a form may
pick.

Who sees what: a bureau or an alliance is seen in its union's subtree and by the unions
below it (a grassroots union books its district's or the city's bureau); a talk by the
booking union's scope and the bureau's; a reception day by its organiser's scope; a problem
by the organiser's scope and the assignee's. Everything else is absent (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear, Substr

from gonghui.common import workdays
from gonghui.common.errors import NotFound
from gonghui.orgs import access
from gonghui.orgs.models import SEGMENT, OrgUnit
from gonghui.people.models import Person, Unit
from gonghui.people.search import matching_q
from gonghui.registry.models import Award, Studio
from gonghui.training.models import (
    Alliance,
    AllianceActivity,
    AllianceMember,
    Problem,
    Speaker,
    SpeakerTeam,
    Talk,
    Visit,
)

VIEW = "training.view"
# Honours that make a person a 劳模 for the 劳模联盟: model workers and advanced workers,
# national and city (the catalogue's codes end so; a district's own such title would too).
MODEL_WORKER_SUFFIXES = ("model-worker", "advanced-worker")
ACTIVITY_KINDS = ("座谈", "参观", "交流")


def _under_q(actor, via: str = "org_unit") -> Q:
    """Rows of a union at or above one of the actor's posts (what that post sits under)."""
    return Q(**{f"{via}__path__in": access.post_ancestors(actor, VIEW)})


def _seen_q(actor, via: str = "org_unit") -> Q:
    return access.scope_q(actor, VIEW, via=via) | _under_q(actor, via)


def may(actor, perm: str, unit: OrgUnit) -> bool:
    """Whether a button acting at ``unit`` with ``perm`` is offered."""
    return access.can_at(actor, perm, unit)


# --- Bureaus and talks ----------------------------------------------------------------------

TEAM_SORTS = {"name": ("name", "pk"), "founded": ("founded_on", "pk"), "unit": ("org_unit__path",)}


def team_list(actor, *, q: str = "", org_unit: OrgUnit | None = None, sort: str = ""):
    qs = (
        SpeakerTeam.objects.filter(_seen_q(actor))
        .select_related("org_unit")
        .annotate(
            speaker_count=Count("speakers", filter=Q(speakers__active=True), distinct=True),
            talk_count=Count("talks", filter=Q(talks__status=Talk.Status.DONE), distinct=True),
        )
    )
    if q:
        qs = qs.filter(name__contains=q)
    if org_unit is not None:
        qs = qs.filter(org_unit=org_unit)
    key = sort.lstrip("-")
    order = TEAM_SORTS.get(key, ("org_unit__path", "name"))
    return qs.order_by(*(f"-{f}" if sort.startswith("-") else f for f in order))


def team_get(actor, pk) -> SpeakerTeam:
    return _one(SpeakerTeam.objects.select_related("org_unit").filter(_seen_q(actor)), pk)


def _one(qs: QuerySet, pk):
    """One row of an already scoped queryset, or NotFound (absent and forbidden alike)."""
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def speakers_of(team: SpeakerTeam) -> QuerySet[Speaker]:
    return (
        team.speakers.filter(active=True)
        .select_related("person", "person__employer")
        .annotate(given=Count("talks", filter=Q(talks__status=Talk.Status.DONE)))
        .order_by("person__name", "pk")
    )


def speaker_get(actor, pk) -> Speaker:
    return _one(
        Speaker.objects.select_related("team", "team__org_unit", "person").filter(
            _seen_q(actor, "team__org_unit")
        ),
        pk,
    )


def bookable_teams(actor) -> QuerySet[SpeakerTeam]:
    """Bureaus the actor may book from: those of a union at or above a union where the
    actor may ``training.apply``."""
    return (
        SpeakerTeam.objects.filter(
            org_unit__path__in=access.post_ancestors(actor, "training.apply")
        )
        .select_related("org_unit")
        .order_by("org_unit__path", "name")
    )


def booking_units(actor, team: SpeakerTeam) -> QuerySet[OrgUnit]:
    """The unions at or below ``team``'s where the actor may book (``training.apply``)."""
    return (
        access.visible_units(actor, "training.apply")
        .filter(access.subtree_q(team.org_unit))
        .filter(is_active=True)
        .order_by("path")
    )


def _people_under(actor, unit: OrgUnit) -> QuerySet[Person]:
    """Live person records in ``unit``'s subtree and the actor's ``training.manage`` scope."""
    return Person.objects.filter(
        access.scope_q(actor, "training.manage"),
        access.subtree_q(unit, via="org_unit"),
        merged_into__isnull=True,
    )


def speaker_candidates(actor, team: SpeakerTeam, q: str) -> QuerySet[Person]:
    """Registry people holding an active honour, in the bureau's union's subtree and the
    actor's ``training.manage`` scope, matching ``q`` (name or pinyin)."""
    if not q.strip():
        return Person.objects.none()
    return (
        _people_under(actor, team.org_unit)
        .filter(Exists(Award.objects.filter(person=OuterRef("pk"), status=Award.Status.ACTIVE)))
        .exclude(Exists(Speaker.objects.filter(team=team, person=OuterRef("pk"), active=True)))
        .filter(matching_q(q.strip()[:30]))
        .select_related("employer", "org_unit")
        .order_by("name", "pk")[:30]
    )


def speaker_person_get(actor, team: SpeakerTeam, pk) -> Person:
    """The person picked for ``team`` (the service checks their honour)."""
    return _one(_people_under(actor, team.org_unit).select_related("org_unit"), pk)


def honours_of(person_ids) -> dict[int, list[str]]:
    """Each person's active honours (names, newest first): what a speaker or a member is."""
    found: dict[int, list[str]] = {}
    for person_id, name, year in (
        Award.objects.filter(person_id__in=list(person_ids), status=Award.Status.ACTIVE)
        .order_by("-year", "honour__sort")
        .values_list("person_id", "honour__name", "year")
    ):
        found.setdefault(person_id, []).append(f"{year}年{name}")
    return found


TALK_SORTS = {"on": "on", "status": "status", "expected": "expected", "attendance": "attendance"}


def _talks_seen(actor) -> Q:
    return access.scope_q(actor, VIEW) | access.scope_q(actor, VIEW, via="team__org_unit")


def talk_list(
    actor,
    *,
    status: str = "",
    team: SpeakerTeam | None = None,
    district: OrgUnit | None = None,
    year: int | None = None,
    q: str = "",
    sort: str = "",
) -> QuerySet[Talk]:
    qs = Talk.objects.filter(_talks_seen(actor)).select_related(
        "team", "org_unit", "speaker", "speaker__person"
    )
    if status:
        qs = qs.filter(status=status)
    if team is not None:
        qs = qs.filter(team=team)
    if district is not None:
        qs = qs.filter(access.subtree_q(district, via="org_unit"))
    if year:
        qs = qs.filter(on__year=year)
    if q:
        qs = qs.filter(topic__contains=q)
    key = TALK_SORTS.get(sort.lstrip("-"))
    if key:
        return qs.order_by(f"-{key}" if sort.startswith("-") else key, "-pk")
    return qs.order_by("-on", "-pk")


def talk_get(actor, pk) -> Talk:
    return _one(
        Talk.objects.filter(_talks_seen(actor)).select_related(
            "team", "team__org_unit", "org_unit", "speaker", "speaker__person", "booked_by"
        ),
        pk,
    )


def districts(actor) -> QuerySet[OrgUnit]:
    """The district and industry unions the actor sees (the lists' district filter)."""
    return (
        access.visible_units(actor, VIEW)
        .filter(level__in=(OrgUnit.Level.DISTRICT, OrgUnit.Level.INDUSTRY))
        .order_by("path")
    )


def talk_years(actor) -> list[int]:
    years = set(
        Talk.objects.filter(_talks_seen(actor))
        .annotate(y=ExtractYear("on"))
        .values_list("y", flat=True)
        .distinct()
    )
    years.add(workdays.today().year)
    return sorted(years, reverse=True)


@dataclass
class StatRow:
    """Talks given and their attendance for one district (or one union of a district)."""

    unit: OrgUnit | None
    name: str
    talks: int
    attendance: int
    expected: int
    drill: bool = False  # the viewer may open the district's own rows (``stats_district``)


def talk_stats(actor, *, year: int, district: OrgUnit | None = None) -> list[StatRow]:
    """Talks given (status done) in ``year`` booked by unions in the actor's scope, and
    their attendance: per district (the booking union's, the tree's second level), or
    with ``district`` per booking union within it. Sorted by the tree."""
    qs = Talk.objects.filter(access.scope_q(actor, VIEW), status=Talk.Status.DONE, on__year=year)
    if district is not None:
        qs = qs.filter(access.subtree_q(district, via="org_unit"))
        key = "org_unit__path"
    else:
        qs = qs.annotate(district_path=Substr("org_unit__path", 1, 2 * SEGMENT))
        key = "district_path"
    rows = (
        qs.values(key)
        .annotate(n=Count("id"), people=Sum("attendance"), expected=Sum("expected"))
        .order_by(key)
    )
    paths = [r[key] for r in rows]
    units = {u.path: u for u in OrgUnit.objects.filter(path__in=paths)}
    # A street's staff see their district's row but not the district's other unions.
    drillable = (
        set()
        if district
        else set(districts(actor).filter(path__in=paths).values_list("path", flat=True))
    )
    return [
        StatRow(
            unit=units.get(r[key]),
            name=units[r[key]].name if r[key] in units else "（市总工会本级）",
            talks=r["n"],
            attendance=r["people"] or 0,
            expected=r["expected"] or 0,
            drill=r[key] in drillable,
        )
        for r in rows
    ]


def stats_district(actor, pk) -> OrgUnit:
    return _one(districts(actor), pk)


# --- Reception days and their problems --------------------------------------------------------

VISIT_SORTS = {"on": "on", "stage": "stage", "enterprise": "enterprise__name"}


def visit_list(
    actor,
    *,
    stage: str = "",
    district: OrgUnit | None = None,
    year: int | None = None,
    q: str = "",
    sort: str = "",
) -> QuerySet[Visit]:
    qs = (
        Visit.objects.filter(access.scope_q(actor, VIEW))
        .select_related("org_unit", "enterprise")
        .annotate(
            problem_count=Count("problems"),
            open_count=Count("problems", filter=~Q(problems__status=Problem.Status.CLOSED)),
        )
    )
    if stage:
        qs = qs.filter(stage=stage)
    if district is not None:
        qs = qs.filter(access.subtree_q(district, via="org_unit"))
    if year:
        qs = qs.filter(on__year=year)
    if q:
        qs = qs.filter(enterprise__name__contains=q)
    key = VISIT_SORTS.get(sort.lstrip("-"))
    if key:
        return qs.order_by(f"-{key}" if sort.startswith("-") else key, "-pk")
    return qs.order_by("-on", "-pk")


def visit_get(actor, pk) -> Visit:
    return access.get_or_404(
        Visit.objects.select_related("org_unit", "enterprise", "created_by"), actor, VIEW, pk=pk
    )


def _problems_seen(actor) -> Q:
    return access.scope_q(actor, VIEW, via="visit__org_unit") | access.scope_q(
        actor, VIEW, via="assignee"
    )


PROBLEM_SORTS = {"due": "due_on", "raised": "raised_on", "status": "status", "visit": "visit__on"}


def problem_list(
    actor,
    *,
    status: str = "",
    assignee: OrgUnit | None = None,
    overdue: bool = False,
    visit: Visit | None = None,
    sort: str = "",
) -> QuerySet[Problem]:
    """Problems of the reception days the actor organises or answers for. ``status``
    "pending" means not yet closed; ``overdue``: open past its deadline."""
    qs = Problem.objects.filter(_problems_seen(actor)).select_related(
        "visit", "visit__enterprise", "visit__org_unit", "assignee"
    )
    if status == "pending":
        qs = qs.exclude(status=Problem.Status.CLOSED)
    elif status:
        qs = qs.filter(status=status)
    if assignee is not None:
        qs = qs.filter(access.subtree_q(assignee, via="assignee"))
    if overdue:
        qs = qs.filter(status=Problem.Status.OPEN, due_on__lt=workdays.today())
    if visit is not None:
        qs = qs.filter(visit=visit)
    key = PROBLEM_SORTS.get(sort.lstrip("-"))
    if key:
        return qs.order_by(f"-{key}" if sort.startswith("-") else key, "pk")
    return qs.order_by("due_on", "pk")


def problem_get(actor, pk) -> Problem:
    return _one(
        Problem.objects.filter(_problems_seen(actor)).select_related(
            "visit", "visit__enterprise", "visit__org_unit", "assignee", "answered_by"
        ),
        pk,
    )


@dataclass
class Deadline:
    """A problem's deadline as people read it: working days left after today (0: due
    today) or working days overdue; ``None`` where the holiday calendar lacks a year."""

    due_on: date
    left: int | None
    overdue: int | None

    @property
    def label(self) -> str:
        if self.overdue:
            return f"已超期 {self.overdue} 个工作日"
        if self.left is None:
            return "剩余工作日待节假日安排录入后计算"
        if self.left == 0:
            return "今日到期"
        return f"剩余 {self.left} 个工作日"


def deadline(problem: Problem, today: date | None = None) -> Deadline | None:
    """Where an open problem stands against its deadline (None once answered)."""
    if problem.status != Problem.Status.OPEN:
        return None
    today = today or workdays.today()
    if problem.due_on >= today:
        left = workdays.workdays_left(today + timedelta(days=1), problem.due_on)
        return Deadline(problem.due_on, left, 0)
    late = workdays.workdays_left(problem.due_on + timedelta(days=1), today)
    return Deadline(problem.due_on, 0, late)


def with_deadlines(problems) -> list[Problem]:
    """``problems`` listed, each with its ``deadline`` (the working days counted once per
    distinct due date)."""
    rows = list(problems)
    today = workdays.today()
    seen: dict[date, Deadline | None] = {}
    for p in rows:
        if p.status != Problem.Status.OPEN:
            p.deadline = None
            continue
        if p.due_on not in seen:
            seen[p.due_on] = deadline(p, today)
        p.deadline = seen[p.due_on]
    return rows


def problems_waiting(actor, *, limit: int | None = None) -> list[Problem]:
    """The open problems the actor must answer (assigned to a union where the actor may
    ``training.apply``), soonest due first (the first ``limit`` of them), each with its
    working days left (``deadline``): for the workbench."""
    qs = (
        Problem.objects.filter(
            access.scope_q(actor, "training.apply", via="assignee"), status=Problem.Status.OPEN
        )
        .select_related("visit", "visit__enterprise", "assignee")
        .order_by("due_on", "pk")
    )
    return with_deadlines(qs[:limit] if limit else qs)


def assignable_units(actor, visit: Visit) -> QuerySet[OrgUnit]:
    """Unions a problem of ``visit`` may be assigned to: the organiser's subtree."""
    return (
        OrgUnit.objects.filter(access.subtree_q(visit.org_unit), is_active=True)
        .order_by("path")
        .only("pk", "name", "path", "level")
    )


def organiser_units(actor) -> QuerySet[OrgUnit]:
    """Unions where the actor may organise (``training.manage``), the top ones first."""
    return (
        access.visible_units(actor, "training.manage")
        .filter(is_active=True)
        .exclude(level=OrgUnit.Level.GRASSROOTS)
        .order_by("path")
    )


def enterprise_candidates(actor, q: str) -> QuerySet[Unit]:
    """Enterprises (people.Unit) in the actor's ``training.manage`` scope, by name."""
    if not q.strip():
        return Unit.objects.none()
    return (
        access.restrict(Unit.objects.select_related("org_unit"), actor, "training.manage")
        .filter(kind=Unit.Kind.ENTERPRISE, name__contains=q.strip()[:60])
        .order_by("name", "pk")[:30]
    )


def enterprise_get(actor, pk) -> Unit:
    return access.get_or_404(
        Unit.objects.select_related("org_unit"), actor, "training.manage", pk=pk
    )


# --- Alliances ---------------------------------------------------------------------------------

ALLIANCE_SORTS = {"name": "name", "kind": "kind", "founded": "founded_on"}


def alliance_list(actor, *, kind: str = "", q: str = "", sort: str = "") -> QuerySet[Alliance]:
    qs = (
        Alliance.objects.filter(_seen_q(actor))
        .select_related("org_unit")
        .annotate(
            member_count=Count("members", distinct=True),
            activity_count=Count("activities", distinct=True),
        )
    )
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__contains=q)
    key = ALLIANCE_SORTS.get(sort.lstrip("-"))
    if key:
        return qs.order_by(f"-{key}" if sort.startswith("-") else key, "pk")
    return qs.order_by("org_unit__path", "name", "pk")


def alliance_get(actor, pk) -> Alliance:
    return _one(Alliance.objects.select_related("org_unit").filter(_seen_q(actor)), pk)


def members_of(alliance: Alliance) -> QuerySet[AllianceMember]:
    return alliance.members.select_related(
        "person", "person__employer", "studio", "studio__employer", "member_unit"
    ).order_by("person__name", "studio__name", "member_unit__path", "pk")


def member_get(actor, pk) -> AllianceMember:
    return _one(
        AllianceMember.objects.select_related("alliance", "alliance__org_unit").filter(
            _seen_q(actor, "alliance__org_unit")
        ),
        pk,
    )


def activities_by_year(alliance: Alliance) -> list[tuple[int, list[AllianceActivity]]]:
    years: dict[int, list[AllianceActivity]] = {}
    for activity in alliance.activities.order_by("-on", "-pk"):
        years.setdefault(activity.on.year, []).append(activity)
    return sorted(years.items(), reverse=True)


def model_worker_q(via: str = "pk") -> Q:
    """People holding an active model-worker or advanced-worker honour."""
    honours = Q()
    for suffix in MODEL_WORKER_SUFFIXES:
        honours |= Q(honour__code__endswith=suffix)
    return Q(
        Exists(Award.objects.filter(honours, person=OuterRef(via), status=Award.Status.ACTIVE))
    )


def _member_pool(actor, alliance: Alliance) -> QuerySet:
    """What the alliance's kind takes, in its union's subtree and the actor's scope: people,
    studios or grassroots unions (the service checks honours, status and level)."""
    if alliance.kind == Alliance.Kind.MODEL_WORKERS:
        return _people_under(actor, alliance.org_unit).select_related("employer", "org_unit")
    if alliance.kind == Alliance.Kind.STUDIOS:
        return Studio.objects.filter(
            access.subtree_q(alliance.org_unit, via="org_unit"),
            access.scope_q(actor, "training.manage"),
        ).select_related("employer", "org_unit")
    return OrgUnit.objects.filter(
        access.subtree_q(alliance.org_unit), access.scope_q(actor, "training.manage", via="")
    )


def member_candidates(actor, alliance: Alliance, q: str) -> list:
    """Who may join ``alliance``, matching ``q``: model workers, active studios, or
    grassroots (enterprise) unions not yet in it."""
    q = q.strip()[:30]
    if not q:
        return []
    pool = _member_pool(actor, alliance)
    if alliance.kind == Alliance.Kind.MODEL_WORKERS:
        found = pool.filter(model_worker_q(), matching_q(q)).exclude(
            Exists(alliance.members.filter(person=OuterRef("pk")))
        )
        return list(found.order_by("name", "pk")[:30])
    if alliance.kind == Alliance.Kind.STUDIOS:
        found = pool.filter(status=Studio.Status.ACTIVE, name__contains=q).exclude(
            Exists(alliance.members.filter(studio=OuterRef("pk")))
        )
        return list(found.order_by("name", "pk")[:30])
    found = pool.filter(level=OrgUnit.Level.GRASSROOTS, is_active=True, name__contains=q).exclude(
        Exists(alliance.members.filter(member_unit=OuterRef("pk")))
    )
    return list(found.order_by("path")[:30])


def candidate_get(actor, alliance: Alliance, pk):
    """The would-be member ``pk`` of the alliance's kind (a person, a studio or a union)."""
    return _one(_member_pool(actor, alliance), pk)


# --- The outreach home ---------------------------------------------------------------------


def overview(actor) -> dict:
    """The home's counts: bureaus and speakers, talks this year, reception days this year
    and open problems (overdue among them), alliances."""
    year = workdays.today().year
    talks = Talk.objects.filter(_talks_seen(actor), on__year=year)
    problems = Problem.objects.filter(_problems_seen(actor), status=Problem.Status.OPEN)
    return {
        "year": year,
        "teams": SpeakerTeam.objects.filter(_seen_q(actor)).count(),
        "speakers": Speaker.objects.filter(_seen_q(actor, "team__org_unit"), active=True).count(),
        "talks_done": talks.filter(status=Talk.Status.DONE).count(),
        "talks_upcoming": talks.filter(
            status__in=[Talk.Status.REQUESTED, Talk.Status.CONFIRMED], on__gte=workdays.today()
        ).count(),
        "attendance": talks.aggregate(n=Sum("attendance"))["n"] or 0,
        "visits": Visit.objects.filter(access.scope_q(actor, VIEW), on__year=year).count(),
        "open_problems": problems.count(),
        "overdue": problems.filter(due_on__lt=workdays.today()).count(),
        "alliances": Alliance.objects.filter(_seen_q(actor)).count(),
    }
