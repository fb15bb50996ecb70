"""Reads of innovation studios (``registry.Studio``), their members and yearly reports, each
limited to the actor's ``training.view`` scope on the studio's union (absent and forbidden
alike are NotFound); who may review a report at which level; the alliance's figures (only
approved reports count); and, for funds, a studio's approved report of a year."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from gonghui.common.errors import NotFound
from gonghui.orgs import access
from gonghui.orgs.models import SEGMENT, OrgUnit
from gonghui.people.models import Person, Unit
from gonghui.registry.models import Studio
from gonghui.registry.selectors import PersonFilters, person_search
from gonghui.training.models import StudioMember, StudioReport, StudioReview

VIEW, APPLY, REVIEW, MANAGE = (
    "training.view",
    "training.apply",
    "training.review",
    "training.manage",
)
DISTRICT_PATH = 2 * SEGMENT  # the city is the root; its districts the second level
SORTS = {
    "name": "name",
    "-name": "-name",
    "founded": "founded_year",
    "-founded": "-founded_year",
    "kind": "kind",
    "-kind": "-kind",
    "trade": "trade",
    "-trade": "-trade",
}
# A district review is made from a post at a district or industry union covering the studio;
# the city review from the city's (funds' 区级审核 / 市级审批 likewise).
DISTRICT_LEVELS = (OrgUnit.Level.DISTRICT, OrgUnit.Level.INDUSTRY)
LEVEL_OF_STATUS = {
    StudioReport.Status.SUBMITTED: StudioReview.Level.DISTRICT,
    StudioReport.Status.DISTRICT_OK: StudioReview.Level.CITY,
}


def districts() -> QuerySet[OrgUnit]:
    """The city's districts and industry unions (the second level of the tree), by code."""
    return OrgUnit.objects.filter(level__in=DISTRICT_LEVELS, is_active=True).order_by("code")


def studio_list(
    *,
    actor,
    q: str = "",
    kind: str = "",
    level: str = "",
    district: OrgUnit | None = None,
    trade: str = "",
    status: str = "",
    founded_year: int | None = None,
    sort: str = "",
) -> QuerySet[Studio]:
    """Studios in the actor's scope, filtered, sorted by ``SORTS`` (newest first)."""
    qs = access.restrict(
        Studio.objects.select_related("employer", "leader", "named_after", "org_unit"), actor, VIEW
    )
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(employer__name__contains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    if district is not None:
        qs = qs.filter(access.subtree_q(district, via="org_unit"))
    if trade:
        qs = qs.filter(trade=trade)
    if status:
        qs = qs.filter(status=status)
    if founded_year:
        qs = qs.filter(founded_year=founded_year)
    return qs.order_by(SORTS.get(sort, "-founded_year"), "pk")


def trades(actor) -> list[str]:
    """The trades of the studios in the actor's scope (for the filters)."""
    qs = access.restrict(Studio.objects.exclude(trade=""), actor, VIEW)
    return list(qs.values_list("trade", flat=True).distinct().order_by("trade"))


def studio_get(*, actor, pk) -> Studio:
    return access.get_or_404(
        Studio.objects.select_related("employer", "leader", "named_after", "org_unit"),
        actor,
        VIEW,
        pk=pk,
    )


def district_of(unit: OrgUnit) -> OrgUnit | None:
    """The district (or industry union) a union node sits under, or None at the city."""
    if len(unit.path) < DISTRICT_PATH:
        return None
    return OrgUnit.objects.filter(path=unit.path[:DISTRICT_PATH]).first()


def members_of(studio: Studio) -> QuerySet[StudioMember]:
    return (
        StudioMember.objects.filter(studio=studio)
        .select_related("person", "person__employer")
        .order_by("role", "joined_on", "pk")
    )


def member_get(*, actor, pk) -> StudioMember:
    member = StudioMember.objects.select_related("studio", "studio__org_unit", "person").filter(
        pk=pk
    )
    found = member.filter(access.scope_q(actor, VIEW, via="studio__org_unit")).first()
    if found is None:
        raise NotFound()
    return found


def reports_of(studio: Studio) -> QuerySet[StudioReport]:
    return StudioReport.objects.filter(studio=studio).order_by("-year")


def report_list(*, actor, status: str = "", year: int | None = None) -> QuerySet[StudioReport]:
    """Reports in the actor's scope (the review queue filters by status)."""
    qs = access.restrict(
        StudioReport.objects.select_related("studio", "studio__employer", "org_unit"), actor, VIEW
    )
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "status", "studio__name", "pk")


def report_get(*, actor, pk) -> StudioReport:
    return access.get_or_404(
        StudioReport.objects.select_related(
            "studio", "studio__employer", "studio__leader", "org_unit", "submitted_by"
        ),
        actor,
        VIEW,
        pk=pk,
    )


def reviews_of(report: StudioReport) -> QuerySet[StudioReview]:
    return report.reviews.select_related("reviewer").order_by("at", "pk")


def current_reviews(report: StudioReport) -> QuerySet[StudioReview]:
    """The reviews since the report was last submitted (a returned report starts again)."""
    return report.reviews.filter(at__gte=report.submitted_at)


def reviewer_grant(actor, report: StudioReport, level: str):
    """The actor's post that may review ``report`` at ``level`` (None if none): a district
    review from a district or industry union covering the report's union (from the city's
    only where no district stands above the union), a city review from the city's."""
    found = [
        g for g in access.grants(actor) if REVIEW in g.permissions and g.covers(report.org_unit)
    ]
    if not found:
        return None
    levels = dict(
        OrgUnit.objects.filter(pk__in={g.unit_id for g in found}).values_list("pk", "level")
    )
    if level == StudioReview.Level.CITY:
        wanted: tuple = (OrgUnit.Level.CITY,)
    elif len(report.org_unit.path) >= DISTRICT_PATH:
        wanted = DISTRICT_LEVELS
    else:
        wanted = (OrgUnit.Level.CITY,)
    return next((g for g in found if levels.get(g.unit_id) in wanted), None)


def may_review(actor, report: StudioReport) -> bool:
    """Whether the review buttons show: the report waits at a level the actor may decide,
    the actor did not submit it and has not decided its other level."""
    level = LEVEL_OF_STATUS.get(report.status)
    return (
        level is not None
        and actor.pk != report.submitted_by_id
        and reviewer_grant(actor, report, level) is not None
        and not current_reviews(report).filter(reviewer=actor).exists()
    )


def may_at(actor, perm: str, studio: Studio) -> bool:
    return access.can_at(actor, perm, studio.org_unit)


def employers_for(*, actor, q: str = "", limit: int = 50) -> list[Unit]:
    """Employers a studio may be registered for (those under the actor's training.manage
    scope), found by name or credit code."""
    qs = access.restrict(Unit.objects.select_related("org_unit"), actor, MANAGE)
    q = q.strip()[:60]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(credit_code=q.upper()))
    return list(qs.order_by("name", "pk")[:limit])


def people_for(*, actor, q: str = "", limit: int = 50) -> list[Person]:
    """People of the registry in the actor's scope (leaders, namesakes, members), found
    by the registry's own name search (characters, pairs, pinyin)."""
    q = q.strip()[:30]
    if not q:
        return []
    return list(person_search(actor=actor, filters=PersonFilters(query=q))[:limit])


# --- Funds: the approved report a grant is released against ---------------------------------


def approved_report(studio_id: int, year: int) -> StudioReport | None:
    """The studio's report of ``year`` if the city has approved it, else None."""
    return StudioReport.objects.filter(
        studio_id=studio_id, year=year, status=StudioReport.Status.APPROVED
    ).first()


def approved_reports(studio_ids) -> QuerySet[StudioReport]:
    """The approved reports of these studios, newest year first."""
    return (
        StudioReport.objects.filter(studio_id__in=studio_ids, status=StudioReport.Status.APPROVED)
        .select_related("studio", "studio__employer", "studio__leader")
        .order_by("studio__name", "-year")
    )


# --- The alliance (创新工作室联盟) -------------------------------------------------------------

OUTPUTS = (
    ("patent_count", "专利"),
    ("innovations", "创新成果采纳"),
    ("apprentices", "带徒"),
    ("trained", "培训人次"),
    ("benefit_fen", "经济效益"),
    ("saved_fen", "节约资金"),
)


@dataclass
class AllianceRow:
    studio: Studio
    district: str
    years: dict[int, dict[str, int]] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)


@dataclass
class Alliance:
    years: list[int]
    rows: list[AllianceRow]
    by_year: dict[int, dict[str, int]]
    total: dict[str, int]
    reports: int


def alliance(
    *,
    actor,
    kind: str = "",
    level: str = "",
    district: OrgUnit | None = None,
    trade: str = "",
    year_from: int | None = None,
    year_to: int | None = None,
) -> Alliance:
    """Active studios in scope (across units), by district and trade, with their approved
    reports' outputs per year, each studio's totals, each year's totals and the grand total.
    One query for the studios, one for the reports' sums by studio and year."""
    studios = list(
        studio_list(
            actor=actor,
            kind=kind,
            level=level,
            district=district,
            trade=trade,
            status=Studio.Status.ACTIVE,
        )
        .annotate(district_path=Substr("org_unit__path", 1, DISTRICT_PATH))
        .order_by("district_path", "trade", "name", "pk")
    )
    names = dict(
        OrgUnit.objects.filter(path__in={s.district_path for s in studios}).values_list(
            "path", "name"
        )
    )
    reports = StudioReport.objects.filter(
        studio__in=[s.pk for s in studios], status=StudioReport.Status.APPROVED
    )
    if year_from:
        reports = reports.filter(year__gte=year_from)
    if year_to:
        reports = reports.filter(year__lte=year_to)
    sums = reports.values("studio_id", "year").annotate(
        n=Count("pk"), **{key: Sum(key) for key, _ in OUTPUTS}
    )
    zero = {key: 0 for key, _ in OUTPUTS}
    rows = {
        s.pk: AllianceRow(s, names.get(s.district_path, s.org_unit.name), total=dict(zero))
        for s in studios
    }
    by_year: dict[int, dict[str, int]] = {}
    total = dict(zero)
    count = 0
    for line in sums:
        row = rows[line["studio_id"]]
        figures = {key: line[key] or 0 for key, _ in OUTPUTS}
        row.years[line["year"]] = figures
        year = by_year.setdefault(line["year"], dict(zero))
        for key in figures:
            row.total[key] += figures[key]
            year[key] += figures[key]
            total[key] += figures[key]
        count += line["n"]
    years = sorted(by_year)
    return Alliance(
        years=years,
        rows=list(rows.values()),
        by_year={y: by_year[y] for y in years},
        total=total,
        reports=count,
    )
