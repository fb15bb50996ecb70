"""读书沙龙: every read that leaves the feature, limited to the viewer's scope
(``training.view`` over the salon's union; absent and forbidden alike are NotFound).

Who may act on a salon is read here too, from the one rule each: apply and report at the
salon's union (``training.apply``); decide from a union ABOVE it (``training.review`` from a
post whose node is an ancestor of the salon's union: a union never approves itself)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from gonghui.common.errors import NotFound
from gonghui.contests.models import Result
from gonghui.contests.visibility import public_results
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, Post, path_contains, path_prefixes
from gonghui.people import search
from gonghui.people.models import Membership, Person
from gonghui.training.models import Attendance, Salon, SalonMeeting, SalonMember, Session

MIN_MEMBERS = 25

SORTS = {
    "name": "name",
    "-name": "-name",
    "year": "year",
    "-year": "-year",
    "org_unit": "org_unit__path",
    "-org_unit": "-org_unit__path",
    "members": "member_count",
    "-members": "-member_count",
    "meetings": "meeting_count",
    "-meetings": "-meeting_count",
    "grant": "grant_fen",
    "-grant": "-grant_fen",
    "status": "status",
    "-status": "-status",
    "applied": "applied_at",
    "-applied": "-applied_at",
}

# Salons that count (批准的读书沙龙): approved, or approved and since closed.
COUNTED = (Salon.Status.APPROVED, Salon.Status.CLOSED)


def _counted(qs: QuerySet[Salon]) -> QuerySet[Salon]:
    meetings = SalonMeeting.objects.filter(salon=OuterRef("pk")).order_by().values("salon")
    members = SalonMember.objects.filter(salon=OuterRef("pk")).order_by().values("salon")
    return qs.annotate(
        member_count=Coalesce(
            Subquery(members.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField()
        ),
        meeting_count=Coalesce(
            Subquery(meetings.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField()
        ),
        attendance_total=Coalesce(
            Subquery(meetings.annotate(n=Sum("attendance")).values("n")),
            0,
            output_field=IntegerField(),
        ),
    )


def salon_list(
    *, actor, year: int | None = None, status: str = "", org_unit=None, q: str = "", sort=""
) -> QuerySet[Salon]:
    """The salons in the viewer's scope, filtered (``org_unit``: that union's subtree),
    with their member and meeting counts; newest application first unless ``sort``."""
    qs = access.restrict(Salon.objects.select_related("org_unit", "mentor"), actor, "training.view")
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    if org_unit is not None:
        qs = qs.filter(access.subtree_q(org_unit, via="org_unit"))
    if (q or "").strip():
        qs = qs.filter(name__icontains=q.strip())
    qs = _counted(qs)
    return qs.order_by(SORTS[sort], "-pk") if sort in SORTS else qs.order_by("-applied_at", "-pk")


def salon_get(*, actor, pk, perm: str = "training.view") -> Salon:
    return access.get_or_404(
        _counted(Salon.objects.select_related("org_unit", "org_unit__parent", "mentor")),
        actor,
        perm,
        pk=pk,
    )


def filter_units(actor) -> QuerySet[OrgUnit]:
    """The unions a list may be narrowed to: those the viewer sees, districts and above
    the grassroots (the grassroots unions themselves are many)."""
    return access.visible_units(actor, "training.view").exclude(level="grassroots")


def apply_units(actor) -> QuerySet[OrgUnit]:
    """The unions the actor may file a salon for (``training.apply`` there)."""
    return access.restrict(
        OrgUnit.objects.filter(is_active=True), actor, "training.apply", via=""
    ).order_by("path")


def unit_members(org_unit: OrgUnit, q: str = "") -> QuerySet[Person]:
    """People with an active membership in ``org_unit``'s subtree (who may be a salon's
    members), searched by name or pinyin as every people search is."""
    active = Membership.objects.filter(
        Q(person=OuterRef("pk"), status=Membership.Status.ACTIVE)
        & access.subtree_q(org_unit, via="org_unit")
    )
    qs = Person.objects.filter(Exists(active), merged_into__isnull=True)
    if (q or "").strip():
        return search.search_people(qs, q)
    return qs.order_by("name_sort", "pk")


def members_by_index(org_unit: OrgUnit, indexes) -> dict[str, Person]:
    """The members of ``org_unit``'s subtree among the given resident-ID blind indexes."""
    return {
        p.id_number_index: p
        for p in unit_members(org_unit).filter(id_number_index__in=list(indexes))
    }


def members_of(salon: Salon) -> QuerySet[Person]:
    return Person.objects.filter(
        pk__in=SalonMember.objects.filter(salon=salon).values("person_id")
    ).order_by("name_sort", "pk")


def meetings_of(salon: Salon) -> QuerySet[SalonMeeting]:
    return SalonMeeting.objects.filter(salon=salon).select_related("reported_by")


def meeting_get(*, actor, pk) -> SalonMeeting:
    return access.get_or_404(
        SalonMeeting.objects.select_related("salon", "salon__org_unit"),
        actor,
        "training.view",
        via="salon__org_unit",
        pk=pk,
    )


def may_see_photos(actor, meeting: SalonMeeting) -> bool:
    """A meeting's photos are for whoever may see its salon (and ``files.view`` there)."""
    return access.can_at(actor, "training.view", meeting.salon.org_unit)


def may_apply(actor, salon: Salon) -> bool:
    return access.can_at(actor, "training.apply", salon.org_unit)


def reviewer_grant(actor, salon: Salon) -> access.Grant | None:
    """The post from which ``actor`` may decide ``salon``: ``training.review`` over its
    union's subtree from a node strictly above it."""
    unit = salon.org_unit
    for g in access.grants(actor):
        if (
            "training.review" in g.permissions
            and g.scope == Post.Scope.SUBTREE
            and g.path != unit.path
            and path_contains(g.path, unit.path)
        ):
            return g
    return None


def may_decide(actor, salon: Salon) -> bool:
    return (
        salon.status == Salon.Status.APPLIED
        and salon.applied_by_id != actor.pk
        and reviewer_grant(actor, salon) is not None
    )


# --- Yearly counts by district --------------------------------------------------------------


@dataclass
class StatsRow:
    """One union's figures for a year (its whole subtree)."""

    unit: OrgUnit
    salons: int = 0
    members: int = 0
    meetings: int = 0
    attendance: int = 0
    grant_fen: int = 0
    has_children: bool = False

    def add(self, other: StatsRow) -> None:
        for name in ("salons", "members", "meetings", "attendance", "grant_fen"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Stats:
    year: int
    parent: OrgUnit
    trail: list[OrgUnit]
    rows: list[StatsRow]
    total: StatsRow = field(init=False)

    def __post_init__(self):
        self.total = StatsRow(self.parent)
        for row in self.rows:
            self.total.add(row)


def stats_parent(actor, pk=None) -> OrgUnit:
    """The union whose children a stats page lists: ``pk`` if the viewer sees it or sits
    under it, else NotFound; by default the top of the tree."""
    if pk in (None, ""):
        return OrgUnit.objects.get(parent__isnull=True)
    try:
        unit = OrgUnit.objects.get(pk=pk, is_active=True)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not (access.can_at(actor, "training.view", unit) or _above_a_post(actor, unit)):
        raise NotFound()
    return unit


def _above_a_post(actor, unit: OrgUnit) -> bool:
    return any(
        "training.view" in g.permissions and path_contains(unit.path, g.path)
        for g in access.grants(actor)
    )


def salon_stats(*, actor, year: int, parent: OrgUnit) -> Stats:
    """Approved salons of ``year`` in the viewer's scope, counted per child of ``parent``
    (the districts, under the city): salons, members, meetings, attendance at them and
    grants. Children the viewer neither sees nor sits under are not listed."""
    children = list(OrgUnit.objects.filter(parent=parent, is_active=True).order_by("path"))
    shown = [
        c for c in children if access.can_at(actor, "training.view", c) or _above_a_post(actor, c)
    ]
    rows = {c.pk: StatsRow(c) for c in shown}
    salons = _counted(
        access.restrict(Salon.objects.all(), actor, "training.view").filter(
            access.subtree_q(parent, via="org_unit"), year=year, status__in=COUNTED
        )
    ).values_list(
        "org_unit__path", "member_count", "meeting_count", "attendance_total", "grant_fen"
    )
    for path, members, meetings, attendance, grant in salons:
        for child in shown:
            if path_contains(child.path, path):
                row = rows[child.pk]
                row.salons += 1
                row.members += members
                row.meetings += meetings
                row.attendance += attendance
                row.grant_fen += grant
                break
    with_children = set(
        OrgUnit.objects.filter(parent__in=shown, is_active=True).values_list("parent_id", flat=True)
    )
    for row in rows.values():
        row.has_children = row.unit.pk in with_children
    trail = list(OrgUnit.objects.filter(path__in=path_prefixes(parent.path)).order_by("depth"))
    return Stats(year=year, parent=parent, trail=trail, rows=list(rows.values()))


# --- Lecturers (讲师) and their 寻找职工好讲师 results -----------------------------------------

LECTURER_SORTS = {
    "name": ("name_sort", "pk"),
    "sessions": ("-session_count", "name_sort", "pk"),
    "attendance": ("-attendance_count", "name_sort", "pk"),
    "last": ("-last_session", "pk"),
}


@dataclass
class Lecturer:
    """A person who lectured sessions in the viewer's scope, with their published contest
    results (the furthest stage each competition reached for them)."""

    person: Person
    sessions: int
    attendance: int
    last_session: object
    results: list = field(default_factory=list)


def _sessions_in_scope(actor) -> QuerySet[Session]:
    return access.restrict(
        Session.objects.filter(lecturer__isnull=False).exclude(status=Session.Status.CANCELLED),
        actor,
        "training.view",
    )


def lecturer_list(*, actor, q: str = "", sort: str = "") -> QuerySet[Person]:
    """The people who lectured sessions in the viewer's scope (``training.view`` over the
    session's union), with their session count, the attendances at those sessions and the
    last session's start; most sessions first unless ``sort``."""
    sessions = _sessions_in_scope(actor)
    per = sessions.filter(lecturer=OuterRef("pk")).order_by().values("lecturer")
    present = (
        Attendance.objects.filter(
            session__in=sessions.values("pk"), session__lecturer=OuterRef("pk")
        )
        .order_by()
        .values("session__lecturer")
    )
    qs = Person.objects.filter(pk__in=sessions.values("lecturer_id")).annotate(
        session_count=Coalesce(
            Subquery(per.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField()
        ),
        attendance_count=Coalesce(
            Subquery(present.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField()
        ),
        last_session=Subquery(per.annotate(m=Max("starts_at")).values("m")),
    )
    if (q or "").strip():
        qs = search.search_people(qs, q)
    return qs.order_by(*LECTURER_SORTS.get(sort, LECTURER_SORTS["sessions"]))


def lecturer_rows(people, *, actor) -> list[Lecturer]:
    """A page of ``lecturer_list`` with each lecturer's published contest results (the
    contests' one rule of what is public: ``visibility.public_results``), one query; a
    result links its competition's page for the viewers who may open it (``linked``)."""
    people = list(people)
    rows = {p.pk: Lecturer(p, p.session_count, p.attendance_count, p.last_session) for p in people}
    best: dict[tuple[int, int], Result] = {}
    for result in (
        public_results()
        .filter(entrant__person_id__in=list(rows))
        .select_related(
            "stage",
            "stage__competition",
            "stage__competition__programme",
            "stage__competition__org_unit",
            "entrant",
        )
        .order_by("stage__order")
    ):
        competition = result.stage.competition
        result.linked = access.can_at(actor, "contests.view", competition.org_unit)
        best[(result.entrant.person_id, competition.pk)] = result  # furthest stage
    for (person_id, _), result in sorted(best.items(), key=lambda kv: -kv[1].stage.competition_id):
        rows[person_id].results.append(result)
    return list(rows.values())
