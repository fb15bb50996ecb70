"""Statistics of awards (active only), over a queryset the caller has already scoped: counts
by honour, year, batch, district and category; a category's share in a campaign year and
its change against the honour's previous campaign; the same as table rows, ECharts options
and an Excel workbook.

Every count is one GROUP BY in the database; the district of a holder is the first two
segments of its union node's materialised path (``LEFT(path, 12)``), never walked per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Left

from gonghui.common import sheets
from gonghui.common.sheets import Number
from gonghui.orgs.models import SEGMENT, OrgUnit
from gonghui.registry.models import Award, Category, Honour

DISTRICT_PATH = SEGMENT * 2  # the city's segment, then the district's (depth 1)
NO_BATCH = "（未分批次）"
NO_CATEGORY = "（未标注类别）"
NO_DISTRICT = "（未归属）"


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: what is counted (``key``), its label, and the count."""

    key: object
    label: str
    count: int


@dataclass
class Breakdown:
    """Counts of awards by one dimension, ready for a table, a chart and a sheet."""

    code: str  # honour | year | batch | district | category
    title: str  # 按荣誉统计 ...
    header: str  # the first column's header: 荣誉, 年份 ...
    rows: list[Row] = field(default_factory=list)
    total: int = 0  # awards counted (an award with two categories counts once here)

    def share(self, row: Row) -> float:
        return row.count / self.total if self.total else 0.0

    def table(self) -> dict:
        """``{"columns": [...], "rows": [[label, count, "12.5%"], ...]}``."""
        return {
            "columns": [self.header, "授予数", "占比"],
            "rows": [[r.label, r.count, f"{self.share(r):.1%}"] for r in self.rows],
        }


@dataclass(frozen=True)
class CategoryShare:
    """How many of a campaign's awards carry a category, and the change since the honour's
    previous campaign (``previous_year`` is None when there was none)."""

    category: str
    year: int
    count: int
    total: int
    previous_year: int | None = None
    previous_count: int = 0
    previous_total: int = 0

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def previous_share(self) -> float | None:
        if self.previous_year is None:
            return None
        return self.previous_count / self.previous_total if self.previous_total else 0.0

    @property
    def change_points(self) -> float | None:
        """The change of the share in percentage points (+8.0 = eight points more)."""
        if self.previous_share is None:
            return None
        return round((self.share - self.previous_share) * 100, 1)

    @property
    def summary(self) -> str:
        """E.g. ``2020年 科技创新人员 396 人，占 1200 人的 33.0%，比 2015年 上升 8.0 个百分点``."""
        text = (
            f"{self.year}年 {self.category} {self.count} 人，占 {self.total} 人的 {self.share:.1%}"
        )
        points = self.change_points
        if points is None:
            return text + "（无上一届数据）"
        if points == 0:
            return text + f"，与 {self.previous_year}年 持平"
        trend = "上升" if points > 0 else "下降"
        return text + f"，比 {self.previous_year}年 {trend} {abs(points):.1f} 个百分点"

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "year": self.year,
            "count": self.count,
            "total": self.total,
            "share": round(self.share, 4),
            "previous_year": self.previous_year,
            "previous_count": self.previous_count,
            "previous_total": self.previous_total,
            "previous_share": (
                None if self.previous_share is None else round(self.previous_share, 4)
            ),
            "change_points": self.change_points,
            "summary": self.summary,
        }


def active(awards_qs: QuerySet[Award]) -> QuerySet[Award]:
    """The caller's awards, active only, as a plain queryset (whatever joins, ordering or
    ``distinct`` the caller's had, counts are made over ``pk IN (...)``)."""
    return Award.objects.filter(
        pk__in=awards_qs.order_by().values("pk"), status=Award.Status.ACTIVE
    ).order_by()


def _breakdown(code, title, header, rows, total) -> Breakdown:
    return Breakdown(code=code, title=title, header=header, rows=rows, total=total)


def by_honour(*, awards_qs: QuerySet[Award]) -> Breakdown:
    qs = active(awards_qs)
    counts = (
        qs.values("honour_id", "honour__name", "honour__sort")
        .annotate(n=Count("pk"))
        .order_by("honour__sort", "honour_id")
    )
    rows = [Row(c["honour_id"], c["honour__name"], c["n"]) for c in counts]
    return _breakdown("honour", "按荣誉统计", "荣誉", rows, sum(r.count for r in rows))


def by_year(*, awards_qs: QuerySet[Award]) -> Breakdown:
    counts = active(awards_qs).values("year").annotate(n=Count("pk")).order_by("year")
    rows = [Row(c["year"], f"{c['year']}年", c["n"]) for c in counts]
    return _breakdown("year", "按年份统计", "年份", rows, sum(r.count for r in rows))


def by_batch(*, awards_qs: QuerySet[Award]) -> Breakdown:
    """Batches belong to an honour (北京市劳动模范 第13批): one row per honour and batch,
    in the order the batches were conferred (第2批 before 第13批)."""
    counts = (
        active(awards_qs)
        .values("honour_id", "honour__name", "honour__sort", "batch")
        .annotate(n=Count("pk"), first_year=Min("year"))
        .order_by("honour__sort", "honour_id", "first_year", "batch")
    )
    rows = [
        Row(
            (c["honour_id"], c["batch"]),
            f"{c['honour__name']} {c['batch'] or NO_BATCH}",
            c["n"],
        )
        for c in counts
    ]
    return _breakdown("batch", "按批次统计", "荣誉批次", rows, sum(r.count for r in rows))


def by_district(*, awards_qs: QuerySet[Award]) -> Breakdown:
    """By the district (or industry union: the depth-1 node) above the holder's union node.
    Holders attached to the city federation itself are counted under its name."""
    counts = (
        active(awards_qs)
        .annotate(
            district_path=Left(
                Coalesce("person__org_unit__path", "unit__org_unit__path"), DISTRICT_PATH
            )
        )
        .values("district_path")
        .annotate(n=Count("pk"))
        .order_by("district_path")
    )
    counts = list(counts)
    names = dict(
        OrgUnit.objects.filter(path__in=[c["district_path"] for c in counts if c["district_path"]])
        .order_by()
        .values_list("path", "name")
    )
    rows = [
        Row(c["district_path"], names.get(c["district_path"], NO_DISTRICT), c["n"]) for c in counts
    ]
    return _breakdown("district", "按区统计", "区/产业工会", rows, sum(r.count for r in rows))


def by_category(*, awards_qs: QuerySet[Award]) -> Breakdown:
    """By category tag; an award with two tags counts under both (the total does not), an
    award with none under “未标注类别”. Every catalogue category has a row, 0 included."""
    qs = active(awards_qs)
    counts = dict(qs.values("categories").annotate(n=Count("pk")).values_list("categories", "n"))
    rows = [Row(c.pk, c.name, counts.get(c.pk, 0)) for c in Category.objects.order_by("pk")]
    if counts.get(None):
        rows.append(Row(None, NO_CATEGORY, counts[None]))
    return _breakdown("category", "按类别统计", "人员类别", rows, qs.count())


BREAKDOWNS = {
    "honour": by_honour,
    "year": by_year,
    "batch": by_batch,
    "district": by_district,
    "category": by_category,
}


def breakdowns(*, awards_qs: QuerySet[Award]) -> list[Breakdown]:
    """Every breakdown, in the order of the statistics page."""
    return [compute(awards_qs=awards_qs) for compute in BREAKDOWNS.values()]


def _category(category: Category | str) -> Category:
    if isinstance(category, Category):
        return category
    return Category.objects.get(Q(code=category) | Q(name=category))


def category_share(
    *,
    awards_qs: QuerySet[Award],
    category: Category | str,
    year: int,
    honour: Honour | None = None,
) -> CategoryShare:
    """The share of ``year``'s awards carrying ``category`` and its change against the
    previous campaign year of the same honour (the latest earlier year with awards of it).

    ``honour`` picks the campaign; without it, the honours awarded in ``year`` within
    ``awards_qs`` (a caller usually passes one honour's awards)."""
    category = _category(category)
    qs = active(awards_qs)
    if honour is not None:
        qs = qs.filter(honour=honour)
    else:
        qs = qs.filter(honour__in=qs.filter(year=year).values("honour_id"))
    previous_year = (
        qs.filter(year__lt=year).order_by("-year").values_list("year", flat=True).first()
    )
    tagged = Exists(
        Award.categories.through.objects.filter(award_id=OuterRef("pk"), category_id=category.pk)
    )
    years = [year] if previous_year is None else [year, previous_year]
    counts = {
        c["year"]: c
        for c in qs.filter(year__in=years)
        .values("year")
        .annotate(total=Count("pk"), hit=Count("pk", filter=tagged))
    }
    now, before = counts.get(year, {}), counts.get(previous_year, {})
    return CategoryShare(
        category=category.name,
        year=year,
        count=now.get("hit", 0),
        total=now.get("total", 0),
        previous_year=previous_year,
        previous_count=before.get("hit", 0),
        previous_total=before.get("total", 0),
    )


# --- Charts (Apache ECharts options, passed to the page with json_script) --------------------


def echarts_option(breakdown: Breakdown, *, kind: str | None = None) -> dict:
    """An ECharts option for a breakdown: a pie for categories, a line for years, bars for
    the rest. Tooltips render as rich text, not HTML: the site's CSP forbids the inline
    styles ECharts' HTML tooltips carry."""
    kind = kind or {"category": "pie", "year": "line"}.get(breakdown.code, "bar")
    labels = [r.label for r in breakdown.rows]
    counts = [r.count for r in breakdown.rows]
    option: dict = {
        "title": {"text": breakdown.title, "left": "center"},
        "tooltip": {"renderMode": "richText", "trigger": "item" if kind == "pie" else "axis"},
        "animation": False,
    }
    if kind == "pie":
        option["legend"] = {"type": "scroll", "bottom": 0}
        option["series"] = [
            {
                "type": "pie",
                "name": "授予数",
                "radius": ["35%", "65%"],
                "data": [{"name": n, "value": v} for n, v in zip(labels, counts, strict=True)],
            }
        ]
        return option
    option["grid"] = {"left": 48, "right": 24, "bottom": 80, "containLabel": True}
    option["xAxis"] = {
        "type": "category",
        "data": labels,
        "axisLabel": {"interval": 0, "rotate": 30 if len(labels) > 6 else 0},
    }
    option["yAxis"] = {"type": "value", "minInterval": 1}
    option["series"] = [{"type": kind, "name": "授予数", "data": counts}]
    if len(labels) > 20:
        option["dataZoom"] = [{"type": "slider", "bottom": 0}, {"type": "inside"}]
    return option


# --- Excel ---------------------------------------------------------------------------------


def _percent(value: float | None) -> Number:
    return Number(None if value is None else round(value, 4), "0.0%")


def _sheet_title(breakdown: Breakdown) -> str:
    return breakdown.title.removesuffix("统计")[:31]


SHARE_HEADERS = [
    "人员类别",
    "年份",
    "人数",
    "授予总数",
    "占比",
    "上一届年份",
    "上一届占比",
    "变化（百分点）",
    "说明",
]


def stats_workbook(
    *,
    awards_qs: QuerySet[Award] | None = None,
    tables: list[Breakdown] | None = None,
    shares: list[CategoryShare] | tuple[CategoryShare, ...] = (),
) -> bytes:
    """The statistics as an .xlsx: one sheet per breakdown (按荣誉, 按年份, 按批次, 按区,
    按类别; Chinese headers), and 类别占比 when ``shares`` are given. Pass ``tables``
    already computed for the page, or ``awards_qs`` to compute them. Written through the
    platform's one guarded writer (``common.sheets``): an honour, unit or category named
    ``=...`` stays text."""
    if tables is None:
        if awards_qs is None:
            raise TypeError("stats_workbook needs awards_qs or tables")
        tables = breakdowns(awards_qs=awards_qs)
    book = sheets.empty_book()
    for table in tables:
        sheet = sheets.add_sheet(
            book, _sheet_title(table), [table.header, "授予数", "占比"], {1: 32}
        )
        for row in table.rows:
            sheets.append(sheet, [row.label, row.count, _percent(table.share(row))])
        sheets.append(sheet, ["合计", table.total, None])
    if shares:
        sheet = sheets.add_sheet(book, "类别占比", SHARE_HEADERS, {1: 16, 9: 60})
        for s in shares:
            sheets.append(
                sheet,
                [
                    s.category,
                    s.year,
                    s.count,
                    s.total,
                    _percent(s.share),
                    s.previous_year,
                    _percent(s.previous_share),
                    s.change_points,
                    s.summary,
                ],
            )
    return sheets.book_bytes(book)
