"""Reads of results: a stage's true results for its staff (parts per aspect, judges
counted, places) with the advancing preview (``stage_page``), the titles proposal, and the talent database
(人才库), each limited to the actor's scope.

Staff pages show the true results (a freeze hides them from the public only:
``visibility.py``); the talent database, read by registry staff who need not be the
competition's, shows only results the public may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from gonghui.common.formats import cn_datetime
from gonghui.contests import engine, records
from gonghui.contests.models import (
    Appeal,
    Competition,
    Entrant,
    Programme,
    RescoreBatch,
    Result,
    Sheet,
    Stage,
    StageEntry,
)
from gonghui.contests.scoring import SchemeError, mark, shown
from gonghui.contests.setup.selectors import competition_get
from gonghui.contests.visibility import public_results
from gonghui.orgs import access
from gonghui.people import search
from gonghui.people.models import Person
from gonghui.registry.models import Studio

STUDIO_GRANT_FEN = 10_000_000  # 10万元 a year
STUDIO_GRANT_YEARS = 3
TITLE_FILTERS = {"titled": "获得称号", "nominee": "获得提名奖", "any": "称号或提名奖"}
TALENT_SORTS = {
    "name": ("name_sort", "pk"),
    "-name": ("-name_sort", "-pk"),
    "best": ("-best_order", "best_place", "name_sort", "pk"),
    "-best": ("best_order", "-best_place", "name_sort", "pk"),
    "level": ("level_rank", "name_sort", "pk"),
    "-level": ("-level_rank", "name_sort", "pk"),
}
# Skill levels from the lowest up (Person.SkillLevel's codes do not sort by themselves).
LEVEL_ORDER = ["apprentice", "5", "4", "3", "2", "1", "special", "chief"]


# --- Finding a stage or a competition in scope -------------------------------------------------


def stage_get(*, actor, pk) -> Stage:
    """A stage of a competition the actor may see (``contests.view`` at its organiser)."""
    return access.get_or_404(
        Stage.objects.select_related("competition__programme", "competition__trade"),
        actor,
        "contests.view",
        via="competition__org_unit",
        pk=pk,
    )


def programme_get(*, actor, pk) -> Programme:
    return access.get_or_404(Programme.objects.all(), actor, "contests.view", pk=pk)


# --- What the services decide on (callers have checked the scope) ------------------------------


def current_results(stage: Stage) -> QuerySet[Result]:
    """The stage's current results (the truth, frozen or not), in place order."""
    return (
        Result.objects.filter(stage=stage, superseded_by__isnull=True)
        .select_related("entrant__person", "entrant__employer")
        .order_by("place", "entrant__number")
    )


def missing_sheets(stage: Stage) -> int:
    """How many entrants of the stage have no locked score sheet."""
    return (
        StageEntry.objects.filter(stage=stage)
        .exclude(Exists(Sheet.objects.filter(stage=stage, entrant=OuterRef("entrant"))))
        .count()
    )


def appeal_window_ends(stage: Stage) -> datetime | None:
    """The end of the stage's appeal window: ``appeal_minutes`` after its results became
    public (``results_at``); None while they are not (not locked yet, or locked under a
    freeze and not yet revealed). THE rule: the appeals feature uses it too."""
    if stage.results_at is None:
        return None
    return stage.results_at + timedelta(minutes=stage.appeal_minutes)


def advance_blockers(stage: Stage, *, now: datetime) -> list[str]:
    """Why the advancing list of ``stage`` cannot be confirmed now (empty when it can):
    results not locked; not yet revealed (the board is frozen: confirming would show who is
    out); the appeal window still running; an appeal or a re-scoring still open."""
    if stage.status == Stage.Status.CONFIRMED:
        return []
    if stage.status != Stage.Status.LOCKED:
        return ["本赛段成绩尚未锁定，不能确认晋级"]
    blockers = []
    ends = appeal_window_ends(stage)
    if current_results(stage).filter(revealed_at__isnull=True).exists():
        blockers.append("本赛段成绩尚未揭晓（封榜中），揭榜后方可确认晋级")
    elif ends is None:
        blockers.append("本赛段成绩尚未公布，申诉时限尚未起算，不能确认晋级")
    if ends is not None and now < ends:
        blockers.append(f"申诉时限未过（{cn_datetime(ends)} 截止），时限过后方可确认晋级")
    if Appeal.objects.filter(stage=stage, status=Appeal.Status.OPEN).exists():
        blockers.append("本赛段有待仲裁的申诉，仲裁后方可确认晋级")
    if RescoreBatch.objects.filter(
        appeal__stage=stage, status=RescoreBatch.Status.PREVIEW
    ).exists():
        blockers.append("本赛段有待确认的重评批次，确认或取消后方可确认晋级")
    return blockers


def next_stage(stage: Stage) -> Stage | None:
    return (
        Stage.objects.filter(competition_id=stage.competition_id, order__gt=stage.order)
        .order_by("order")
        .first()
    )


def last_stage(competition: Competition) -> Stage | None:
    return Stage.objects.filter(competition=competition).order_by("-order").first()


def title_places(competition: Competition, stage: Stage) -> tuple[list[Result], list[Result]]:
    """The title winners and the nominee awards by the last stage's places: places up to
    ``titles`` take a title, the next ``nominee_awards`` places a nomination award (a place
    shared across a cut takes everyone who shares it, as the ``top`` rule does)."""
    results = list(current_results(stage))
    titles = [r for r in results if r.place <= competition.titles]
    cut = competition.titles + competition.nominee_awards
    nominees = [r for r in results if competition.titles < r.place <= cut]
    return titles, nominees


# --- A stage's results page ----------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    judges: str = ""  # the parts key counting this aspect's judges


@dataclass
class Row:
    entrant: Entrant
    key: str
    score: str
    place: int | None
    advanced: bool
    values: list[tuple[str, str, str]]  # (value, as shown, judges counted) per column
    revealed: bool = True

    @property
    def shown(self) -> str:
        return shown_text(self.score)


def shown_text(value) -> str:
    """A score as shown (two places, half up); the full value stays in the record."""
    if value in (None, ""):
        return ""
    try:
        return str(shown(mark(value)))
    except SchemeError:
        return str(value)


@dataclass
class AdvancePreview:
    stage: Stage
    rows: list[Row]
    advancing: list[int]  # entrant ids, in place order
    confirmed: bool
    blockers: list[str]


@dataclass
class StagePage:
    stage: Stage
    competition: Competition
    columns: list[Column]
    rows: list[Row]
    locked: bool
    provisional: bool  # computed now from the record, not yet locked
    problem: str
    missing: int
    spreads: list[str]
    preview: AdvancePreview
    superseded: int
    may_referee: bool
    window_ends: datetime | None = None
    next_stage: Stage | None = None
    frozen: bool = False
    hidden: int = 0
    notes: list[str] = field(default_factory=list)


def _columns(scheme: dict, parts_seen: set[str]) -> list[Column]:
    aspects = scheme.get("aspects") or []
    columns = [
        Column(
            a["code"],
            f"{a.get('name', a['code'])}（满分 {a.get('max', '')}）",
            judges=f"judges:{a['code']}",
        )
        for a in aspects
        if isinstance(a, dict) and "code" in a
    ]
    part_names = sorted({a.get("part", "practical") for a in aspects if isinstance(a, dict)})
    if len(part_names) > 1 or scheme.get("weights"):
        labels = {"practical": "实操", "defence": "答辩", "review": "评审"}
        columns += [Column(p, f"{labels.get(p, p)}合计") for p in part_names]
    if engine.PUBLIC in parts_seen:
        columns.append(Column(engine.PUBLIC, "大众评委"))
    return columns


def _row(entrant, key, score, place, advanced, parts, columns, revealed=True) -> Row:
    return Row(
        entrant=entrant,
        key=key,
        score=score,
        place=place,
        advanced=advanced,
        values=[
            (
                parts.get(c.key, ""),
                shown_text(parts.get(c.key, "")),
                parts.get(c.judges, "") if c.judges else "",
            )
            for c in columns
        ],
        revealed=revealed,
    )


def _result_rows(results: list[Result], columns: list[Column]) -> list[Row]:
    return [
        _row(
            r.entrant,
            records.entrant_key(r.entrant.number),
            r.score,
            r.place,
            r.advanced,
            r.parts,
            columns,
            revealed=r.revealed_at is not None,
        )
        for r in results
    ]


def _preview(stage: Stage, results: list[Result], rows: list[Row]) -> AdvancePreview:
    """``rows``: the locked results' rows (none before the lock)."""
    return AdvancePreview(
        stage=stage,
        rows=rows,
        advancing=[r.entrant_id for r in results if r.advanced],
        confirmed=stage.status == Stage.Status.CONFIRMED,
        blockers=advance_blockers(stage, now=timezone.now()),
    )


def stage_page(*, actor, pk) -> StagePage:
    """A stage's true results for its staff: places, score, each aspect's aggregate with
    the judges counted, the parts; before the lock, the results as they would be computed
    now (once every sheet is locked); the advancing preview."""
    stage = stage_get(actor=actor, pk=pk)
    competition = stage.competition
    results = list(current_results(stage))
    parts_seen = {k for r in results for k in r.parts}
    missing = missing_sheets(stage)
    record = records.stage_record(stage)
    spreads = [
        f"{entrant}号：{message}"
        for entrant, _, message in engine.spread_problems(stage.scheme, record["marks"])
    ]
    rows, problem, provisional = [], "", False
    if results:
        columns = _columns(stage.scheme, parts_seen)
        rows = _result_rows(results, columns)
    else:
        try:
            computed = engine.stage_results(record) if record["entrants"] else []
        except (SchemeError, KeyError, TypeError) as exc:
            computed, problem = [], str(exc)
        columns = _columns(stage.scheme, {k for c in computed for k in c["parts"]})
        by_key = records.entrants_by_key(competition.pk)
        rows = [
            _row(
                by_key[c["entrant"]],
                c["entrant"],
                c["score"],
                c["place"],
                c["advanced"],
                c["parts"],
                columns,
                revealed=False,
            )
            for c in computed
        ]
        provisional = bool(rows)
    return StagePage(
        stage=stage,
        competition=competition,
        columns=columns,
        rows=rows,
        locked=bool(results),
        provisional=provisional,
        problem=problem,
        missing=missing,
        spreads=spreads,
        preview=_preview(stage, results, rows if results else []),
        superseded=Result.objects.filter(stage=stage, superseded_by__isnull=False).count(),
        may_referee=access.can_at(actor, "contests.referee", competition.org_unit),
        window_ends=appeal_window_ends(stage),
        next_stage=next_stage(stage),
        frozen=competition.frozen,
        hidden=sum(1 for r in results if r.revealed_at is None),
    )


# --- The titles page -----------------------------------------------------------------------------


@dataclass
class TitlesPage:
    competition: Competition
    stage: Stage | None
    awarded: bool
    titles: list[Row]
    nominees: list[Row]
    ready: str  # why titles cannot be awarded yet ("" when they can)
    may_award: bool
    honour_problem: str
    studios: list[Studio]
    compare_trades: bool


def titles_ready(competition: Competition, stage: Stage | None) -> str:
    if stage is None:
        return "本竞赛尚未设置赛段"
    if stage.status != Stage.Status.CONFIRMED:
        return f"最后一个赛段（{stage.name}）确认晋级名单后方可评定称号"
    return ""


def awarded_entrants(competition_ids) -> QuerySet[Entrant]:
    return Entrant.objects.filter(
        competition_id__in=competition_ids,
        status__in=[Entrant.Status.TITLED, Entrant.Status.NOMINEE],
    )


def honour_problem(actor, programme: Programme, *, nominees: bool) -> tuple[str, str]:
    """Why ``actor`` cannot confer the programme's honours: ("missing" | "forbidden",
    message), or ("", "") when they can."""
    honours = [("title_honour", "称号"), *([("nominee_honour", "提名奖")] if nominees else [])]
    for name, label in honours:
        honour = getattr(programme, name)
        if honour is None:
            return "missing", f"项目“{programme.name}”未设置授予的{label}荣誉"
        if not access.can_at(actor, "registry.award", honour.conferring_unit):
            return "forbidden", (
                f"“{honour.name}”由{honour.conferring_unit.name}授予：须由该级有授予荣誉权限的"
                "岗位评定称号"
            )
    return "", ""


def titles_page(*, actor, pk) -> TitlesPage:
    competition = competition_get(actor=actor, pk=pk)
    programme = competition.programme
    stage = last_stage(competition)
    awarded = awarded_entrants([competition.pk]).exists()
    ready = titles_ready(competition, stage)
    titles, nominees = title_places(competition, stage) if stage is not None else ([], [])
    studios = list(
        Studio.objects.filter(
            source__startswith=studio_source(competition), leader__isnull=False
        ).select_related("employer", "leader")
    )
    return TitlesPage(
        competition=competition,
        stage=stage,
        awarded=awarded,
        titles=_result_rows(titles, []),
        nominees=_result_rows(nominees, []),
        ready=ready,
        may_award=access.can_at(actor, "contests.manage", competition.org_unit),
        honour_problem=honour_problem(actor, programme, nominees=bool(nominees))[1],
        studios=studios,
        compare_trades=programme.compare_trades,
    )


def studio_source(competition: Competition) -> str:
    """Where a studio offer came from: 第N届<programme> · <trade>."""
    programme = competition.programme
    return f"第{programme.edition}届{programme.name} · {competition.trade.name}"


# --- The talent database (人才库) ----------------------------------------------------------------


def talent_list(
    *,
    actor,
    query: str = "",
    trade: int | None = None,
    level: str = "",
    title: str = "",
    sort: str = "",
) -> QuerySet[Person]:
    """Skilled workers who entered any competition, in the actor's registry scope
    (``registry.view`` over the person's union: a district sees its own), searched as the
    registry searches (name, pinyin, initials, employer: ``people.search``), filtered by the
    trade they competed in, their skill level and their titles; each with their best
    published result (the furthest stage reached, their place there)."""
    entered = Entrant.objects.filter(person=OuterRef("pk"))
    qs = Person.objects.with_related().filter(Exists(entered), merged_into__isnull=True)
    if trade:
        qs = qs.filter(Exists(entered.filter(competition__trade_id=trade)))
    if level:
        qs = qs.filter(skill_level=level)
    if title in ("titled", "nominee"):
        qs = qs.filter(Exists(entered.filter(status=title)))
    elif title == "any":
        qs = qs.filter(
            Exists(entered.filter(status__in=[Entrant.Status.TITLED, Entrant.Status.NOMINEE]))
        )
    best = (
        public_results().filter(entrant__person=OuterRef("pk")).order_by("-stage__order", "place")
    )
    qs = qs.annotate(
        best_order=Subquery(best.values("stage__order")[:1]),
        best_place=Subquery(best.values("place")[:1]),
        best_stage=Subquery(best.values("stage__name")[:1]),
        best_competition=Subquery(best.values("stage__competition__name")[:1]),
        level_rank=Case(
            *(When(skill_level=code, then=Value(n)) for n, code in enumerate(LEVEL_ORDER)),
            default=Value(-1),
            output_field=IntegerField(),
        ),
    )
    qs = search.search_people(
        qs,
        query,
        scope=lambda via, self_via: access.scope_q(actor, "registry.view", via=via),
        narrowed=True,
    )
    if sort in TALENT_SORTS or not (query or "").strip():
        qs = qs.order_by(*TALENT_SORTS.get(sort, TALENT_SORTS["name"]))
    return qs


@dataclass
class TalentRow:
    person: Person
    trades: list[str]
    best: str
    titles: list[str]


def talent_rows(people) -> list[TalentRow]:
    """A page of ``talent_list`` with what each person entered and won (one query)."""
    people = list(people)
    trades: dict[int, list[str]] = {p.pk: [] for p in people}
    titles: dict[int, list[str]] = {p.pk: [] for p in people}
    for person_id, trade, status, programme, edition in (
        Entrant.objects.filter(person__in=[p.pk for p in people])
        .order_by("competition__programme__year", "competition_id")
        .values_list(
            "person_id",
            "competition__trade__name",
            "status",
            "competition__programme__name",
            "competition__programme__edition",
        )
    ):
        if trade not in trades[person_id]:
            trades[person_id].append(trade)
        if status in (Entrant.Status.TITLED, Entrant.Status.NOMINEE):
            label = "称号" if status == Entrant.Status.TITLED else "提名奖"
            titles[person_id].append(f"第{edition}届{programme}（{trade}）{label}")
    return [
        TalentRow(
            person=p,
            trades=trades[p.pk],
            best=(
                f"{p.best_competition} · {p.best_stage} 第{p.best_place}名"
                if p.best_place is not None
                else ""
            ),
            titles=titles[p.pk],
        )
        for p in people
    ]
