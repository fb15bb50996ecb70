"""Reads of judging: the judge's own phone pages, the chief referee's marking grid and match
page, and the facts the services decide on (the draw's inputs, a seat's conflicts, what a
sheet still lacks). Staff reads are scoped by ``access.get_or_404`` (``contests.view`` at the
competition's organiser: NotFound elsewhere); a judge reads only their own matches.

A judge sees entrants by number only (参赛号): marking is blind to names and employers."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Subquery

from gonghui.common.errors import NotFound
from gonghui.contests import engine
from gonghui.contests.models import (
    Judge,
    Mark,
    Match,
    Recusal,
    Seat,
    Sheet,
    Stage,
    StageEntry,
)
from gonghui.contests.records import entrant_key, judge_key
from gonghui.orgs import access

VIEW = "contests.view"
REFEREE = "contests.referee"
MARKERS = (Judge.Kind.EXPERT, Judge.Kind.CHIEF)  # who marks (arbiters rule, jurors vote)


def judge_of(user, stage: Stage) -> Judge | None:
    """The user's own judge row in the stage's programme, an expert or the chief referee
    (None: they are no judge who marks there)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Judge.objects.filter(
        programme_id=stage.competition.programme_id, user=user, kind__in=MARKERS
    ).first()


def mark_checks(entry_pk: int, judge_id: int, aspect: str) -> dict:
    """What decides whether a judge may mark an entrant (its StageEntry ``entry_pk``) on
    ``aspect``, in one query: ``seat_absent`` (None: not seated on the entrant's match),
    ``recused``, ``sheet`` (locked), ``marked`` (the judge's first mark is there). Read
    after the entry's lock (``services._lock_entry``)."""
    return (
        StageEntry.objects.filter(pk=entry_pk)
        .annotate(
            seat_absent=Subquery(
                Seat.objects.filter(match_id=OuterRef("match_id"), judge_id=judge_id).values(
                    "absent"
                )[:1]
            ),
            recused=Exists(
                Recusal.objects.filter(judge_id=judge_id, entrant_id=OuterRef("entrant_id"))
            ),
            sheet=Exists(
                Sheet.objects.filter(
                    stage_id=OuterRef("stage_id"), entrant_id=OuterRef("entrant_id")
                )
            ),
            marked=Exists(
                Mark.objects.filter(
                    stage_id=OuterRef("stage_id"),
                    entrant_id=OuterRef("entrant_id"),
                    judge_id=judge_id,
                    aspect=aspect,
                )
            ),
        )
        .values("seat_absent", "recused", "sheet", "marked")
        .get()
    )


def employer_key(employer_id: int | None, judge_id: int) -> str:
    """A judge's employer as the draw's record publishes it: ``u<employer id>``; a judge
    with no employer recorded stands alone as ``x<judge id>`` (shares no employer)."""
    return f"u{employer_id}" if employer_id else f"x{judge_id}"


def aspects(stage: Stage) -> list[dict]:
    return list((stage.scheme or {}).get("aspects", ()))


def _mark_rows(qs) -> list[dict]:
    """Marks as the engine reads them (records.py's shape, with the judge's pk)."""
    return [
        {
            "id": pk,
            "entrant": entrant_key(number),
            "judge": judge_key(judge),
            "judge_id": judge,
            "aspect": aspect,
            "value": value,
            "replaces": replaces,
        }
        for pk, number, judge, aspect, value, replaces in qs.order_by("id").values_list(
            "id", "entrant__number", "judge_id", "aspect", "value", "replaces_id"
        )
    ]


def entrant_marks(stage: Stage, entrant_id: int) -> list[dict]:
    return _mark_rows(Mark.objects.filter(stage_id=stage.pk, entrant_id=entrant_id))


def _missing(stage: Stage, present: list[tuple[int, str]], marks: list[dict]) -> list[str]:
    """What an entrant's sheet still lacks: ``present`` the (judge id, name) who must mark
    it, ``marks`` its marks (all of them: only the current ones count)."""
    done = defaultdict(set)
    for m in engine.effective_marks(marks):
        done[m["aspect"]].add(m["judge_id"])
    out = []
    for aspect in aspects(stage):
        code, name = aspect["code"], aspect.get("name", aspect["code"])
        if aspect.get("kind") == "measurement":
            if not done[code]:
                out.append(f"{name}（{code}）尚无评分")
            continue
        lacking = [who for pk, who in present if pk not in done[code]]
        if lacking:
            out.append(f"{name}（{code}）尚缺 {'、'.join(lacking)} 的评分")
    return out


def spread_warnings(stage: Stage, current: list[dict], *, complete: bool = True) -> list[str]:
    """Why the sheet's judgement marks keep it from being locked: the engine's rule
    (``engine.spread_problems``, what ``services.sheet_lock`` applies): marks that differ
    by more than the aspect's spread (the judges must re-score), and too few marks. While
    marks are still missing (``complete`` false) an aspect with too few marks is left to
    the list of what is missing."""
    try:
        problems = engine.spread_problems(stage.scheme or {"aspects": []}, current)
    except (KeyError, TypeError):  # a scheme that cannot score: stage_start refuses it
        return []
    least = {a.get("code"): a.get("min_judges", engine.MIN_JUDGES) for a in aspects(stage)}
    counts = Counter(m["aspect"] for m in current)
    return [
        message
        for _, code, message in problems
        if complete or counts[code] >= least.get(code, engine.MIN_JUDGES)
    ]


def sheet_missing(stage: Stage, entry: StageEntry) -> list[str]:
    """Why the entrant's sheet cannot be locked yet (empty: every aspect is marked by every
    seated, present judge of their match who is not recused from them)."""
    recused = set(
        Recusal.objects.filter(entrant_id=entry.entrant_id).values_list("judge_id", flat=True)
    )
    present = [
        (pk, name)
        for pk, name in Seat.objects.filter(match_id=entry.match_id, absent=False)
        .order_by("position")
        .values_list("judge_id", "judge__name")
        if pk not in recused
    ]
    return _missing(stage, present, entrant_marks(stage, entry.entrant_id))


# --- What the draw and the seats decide on ---------------------------------------------------


def draw_inputs(match: Match) -> dict:
    """The published inputs of a match's panel draw: the pool (the programme's expert
    judges → employer), the match's entrants' employers, the judges who declared a
    relationship with one of them; ``judges`` their pks."""
    programme_id = match.stage.competition.programme_id
    judges = list(
        Judge.objects.filter(programme_id=programme_id, kind=Judge.Kind.EXPERT)
        .order_by("pk")
        .values_list("pk", "employer_id")
    )
    entrants = StageEntry.objects.filter(match=match)
    employers = {e for e in entrants.values_list("entrant__employer_id", flat=True)}
    declared = set(
        Recusal.objects.filter(
            reason=Recusal.Reason.DECLARED,
            entrant_id__in=entrants.values("entrant_id"),
            judge__programme_id=programme_id,
            judge__kind=Judge.Kind.EXPERT,
        ).values_list("judge_id", flat=True)
    )
    return {
        "judges": [pk for pk, _ in judges],
        "pool": {judge_key(pk): employer_key(employer, pk) for pk, employer in judges},
        "entrant_employers": sorted(f"u{e}" for e in employers),
        "declared": [judge_key(pk) for pk in sorted(declared)],
    }


def seat_problem(match: Match, judge: Judge) -> str | None:
    """Why ``judge`` cannot sit on ``match``'s panel (None when they can)."""
    seated = list(Seat.objects.filter(match=match).values_list("judge_id", "judge__employer_id"))
    if any(pk == judge.pk for pk, _ in seated):
        return "该裁判已在本场次裁判组中"
    entries = list(
        StageEntry.objects.filter(match=match)
        .order_by("entrant__number")
        .values_list("entrant_id", "entrant__number", "entrant__employer_id")
    )
    recused = set(
        Recusal.objects.filter(
            judge=judge, entrant_id__in=[pk for pk, _, _ in entries]
        ).values_list("entrant_id", flat=True)
    )
    for pk, number, employer in entries:
        if pk in recused:
            return f"回避：该裁判与本场次参赛人 {entrant_key(number)} 存在回避关系"
        if judge.employer_id and employer == judge.employer_id:
            return f"回避：该裁判与本场次参赛人 {entrant_key(number)} 同一工作单位"
    if judge.employer_id and any(e == judge.employer_id for _, e in seated):
        return "裁判组中已有同一工作单位的裁判（每个单位至多一名）"
    return None


def matches_without_panel(stage: Stage) -> list[str] | None:
    """The codes of the stage's matches with no present judge (None: no match at all)."""
    matches = list(Match.objects.filter(stage=stage).order_by("code").values_list("pk", "code"))
    if not matches:
        return None
    panelled = set(
        Seat.objects.filter(match__stage=stage, absent=False).values_list("match_id", flat=True)
    )
    return [code for pk, code in matches if pk not in panelled]


# --- The judge's phone -------------------------------------------------------------------------


@dataclass
class JudgeStageLink:
    stage: Stage
    matches: list[str]
    absent: bool


def judge_home(user) -> list[JudgeStageLink]:
    """The stages whose matches the user sits on as a judge, latest competition first."""
    seats = (
        Seat.objects.filter(judge__user=user, judge__kind__in=MARKERS)
        .select_related("match__stage__competition")
        .order_by("-match__stage__competition_id", "match__stage__order", "match__code")
    )
    by_stage: dict[int, JudgeStageLink] = {}
    for seat in seats:
        stage = seat.match.stage
        link = by_stage.setdefault(stage.pk, JudgeStageLink(stage, [], True))
        link.matches.append(seat.match.code)
        link.absent = link.absent and seat.absent
    return list(by_stage.values())


@dataclass
class JudgeEntrant:
    number: int
    key: str
    match: str
    absent: bool
    recused: bool
    locked: bool
    marks: dict = field(default_factory=dict)  # aspect code → {"id", "value", "corrections"}
    cells: list = field(default_factory=list)  # per aspect, in order: {"aspect", "mark"}

    @property
    def may_mark(self) -> bool:
        return not (self.absent or self.recused or self.locked)


@dataclass
class JudgeStage:
    stage: Stage
    judge: Judge
    aspects: list[dict]
    entrants: list[JudgeEntrant]

    @property
    def marking(self) -> bool:
        return self.stage.status == Stage.Status.MARKING


def judge_stage(user, pk) -> JudgeStage:
    """One stage as the judge marks it: the entrants of the matches they sit on, each
    aspect with the judge's current mark. NotFound for anyone who is no judge there."""
    try:
        stage = Stage.objects.select_related("competition").get(pk=pk)
    except (Stage.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    judge = judge_of(user, stage)
    if judge is None:
        raise NotFound()
    seats = dict(
        Seat.objects.filter(judge=judge, match__stage=stage).values_list("match_id", "absent")
    )
    if not seats:
        raise NotFound()
    entries = list(
        StageEntry.objects.filter(stage=stage, match_id__in=seats)
        .order_by("match__code", "entrant__number")
        .values_list("entrant_id", "entrant__number", "match_id", "match__code")
    )
    ids = [pk for pk, _, _, _ in entries]
    recused = set(
        Recusal.objects.filter(judge=judge, entrant_id__in=ids).values_list("entrant_id", flat=True)
    )
    locked = set(
        Sheet.objects.filter(stage=stage, entrant_id__in=ids).values_list("entrant_id", flat=True)
    )
    marks = _mark_rows(Mark.objects.filter(stage=stage, judge=judge))
    chains = defaultdict(int)
    for m in marks:
        chains[(m["entrant"], m["aspect"])] += 1
    current = {(m["entrant"], m["aspect"]): m for m in engine.effective_marks(marks)}
    entrants = []
    for entrant_id, number, match_id, code in entries:
        key = entrant_key(number)
        row = JudgeEntrant(
            number=number,
            key=key,
            match=code,
            absent=seats[match_id],
            recused=entrant_id in recused,
            locked=entrant_id in locked,
        )
        for aspect in aspects(stage):
            mark = current.get((key, aspect["code"]))
            if mark is not None:
                row.marks[aspect["code"]] = {
                    "id": mark["id"],
                    "value": mark["value"],
                    "corrections": chains[(key, aspect["code"])] - 1,
                }
            row.cells.append({"aspect": aspect, "mark": row.marks.get(aspect["code"])})
        entrants.append(row)
    return JudgeStage(stage, judge, aspects(stage), entrants)


# --- The chief referee's pages ---------------------------------------------------------------


def stage_get(*, actor, pk) -> Stage:
    """A stage in the actor's scope (``contests.view``)."""
    return access.get_or_404(
        Stage.objects.select_related("competition__org_unit"),
        actor,
        VIEW,
        via="competition__org_unit",
        pk=pk,
    )


def match_get(*, actor, pk) -> Match:
    return access.get_or_404(
        Match.objects.select_related("stage__competition__org_unit", "seed"),
        actor,
        VIEW,
        via="stage__competition__org_unit",
        pk=pk,
    )


def seat_get(*, actor, pk) -> Seat:
    return access.get_or_404(
        Seat.objects.select_related("match__stage__competition__org_unit", "judge"),
        actor,
        VIEW,
        via="match__stage__competition__org_unit",
        pk=pk,
    )


@dataclass
class GridRow:
    number: int
    key: str
    match: str
    locked: bool
    # aspect code → judge id → current value ("" unmarked, "回避" recused, "缺席" absent)
    cells: dict
    corrections: int
    missing: list[str]
    spread: list[str]
    flat: list = field(default_factory=list)  # the cells in the header's order (None: not seated)

    @property
    def ready(self) -> bool:
        return not self.locked and not self.missing and not self.spread


@dataclass
class MarkingGrid:
    stage: Stage
    aspects: list[dict]
    judges: list[tuple[int, str]]  # every judge seated in the stage: (id, name)
    rows: list[GridRow]
    matches: list[Match]
    may_referee: bool

    @property
    def locked_count(self) -> int:
        return sum(1 for r in self.rows if r.locked)


GRID_SORTS = {"number": "number", "match": "match", "state": "state"}


def marking_grid(*, actor, pk, sort: str = "", match: str = "") -> MarkingGrid:
    """The progress of a stage's marking: entrant × judge × aspect (each judge's current
    mark), what each sheet still lacks, spread warnings, which sheets are locked."""
    stage = stage_get(actor=actor, pk=pk)
    matches = list(Match.objects.filter(stage=stage).order_by("code"))
    seats = list(
        Seat.objects.filter(match__stage=stage)
        .order_by("match__code", "position")
        .values_list("match_id", "judge_id", "judge__name", "absent")
    )
    entries = list(
        StageEntry.objects.filter(stage=stage)
        .order_by("entrant__number")
        .values_list("entrant_id", "entrant__number", "match_id", "match__code")
    )
    if match:
        entries = [e for e in entries if e[3] == match]
    ids = [e[0] for e in entries]
    recused = set(Recusal.objects.filter(entrant_id__in=ids).values_list("judge_id", "entrant_id"))
    locked = set(
        Sheet.objects.filter(stage=stage, entrant_id__in=ids).values_list("entrant_id", flat=True)
    )
    marks = _mark_rows(Mark.objects.filter(stage=stage, entrant_id__in=ids))
    by_entrant = defaultdict(list)
    for m in marks:
        by_entrant[m["entrant"]].append(m)
    by_match = defaultdict(list)
    judges: dict[int, str] = {}
    for match_id, judge_id, name, absent in seats:
        by_match[match_id].append((judge_id, name, absent))
        judges.setdefault(judge_id, name)
    rows = []
    for entrant_id, number, match_id, code in entries:
        key = entrant_key(number)
        mine = by_entrant[key]
        current = engine.effective_marks(mine)
        cells = {a["code"]: {} for a in aspects(stage)}
        for judge_id, _, absent in by_match[match_id]:
            for code_ in cells:
                if (judge_id, entrant_id) in recused:
                    cells[code_][judge_id] = "回避"
                elif absent:
                    cells[code_][judge_id] = "缺席"
                else:
                    cells[code_][judge_id] = ""
        for m in current:
            if m["aspect"] in cells:
                cells[m["aspect"]][m["judge_id"]] = m["value"]
        present = [
            (j, name)
            for j, name, absent in by_match[match_id]
            if not absent and (j, entrant_id) not in recused
        ]
        missing = _missing(stage, present, mine)
        rows.append(
            GridRow(
                number=number,
                key=key,
                match=code,
                locked=entrant_id in locked,
                cells=cells,
                corrections=len(mine) - len(current),
                missing=missing,
                spread=spread_warnings(stage, current, complete=not missing),
            )
        )
    order = sorted(judges)
    for row in rows:
        row.flat = [row.cells[a["code"]].get(j) for a in aspects(stage) for j in order]
    if sort == "match":
        rows.sort(key=lambda r: (r.match, r.number))
    elif sort == "state":
        rows.sort(key=lambda r: (r.locked, not r.ready, r.number))
    return MarkingGrid(
        stage=stage,
        aspects=aspects(stage),
        judges=sorted(judges.items()),
        rows=rows,
        matches=matches,
        may_referee=access.can_at(actor, REFEREE, stage.competition.org_unit),
    )


@dataclass
class SeatRow:
    seat: Seat
    key: str
    employer: str


@dataclass
class MatchPage:
    match: Match
    entrants: list
    seats: list[SeatRow]
    addable: list[Judge]
    may_referee: bool

    @property
    def closed(self) -> bool:
        """The stage's marking is locked: the panel is what it was."""
        return self.match.stage.status in (Stage.Status.LOCKED, Stage.Status.CONFIRMED)


def match_page(*, actor, pk) -> MatchPage:
    """A match: its entrants, the draw (commitment, revealed seed), its panel."""
    match = match_get(actor=actor, pk=pk)
    entrants = [
        e.entrant
        for e in StageEntry.objects.filter(match=match)
        .select_related("entrant__person", "entrant__employer")
        .order_by("entrant__number")
    ]
    seats = [
        SeatRow(s, judge_key(s.judge_id), s.judge.employer.name if s.judge.employer else "")
        for s in Seat.objects.filter(match=match)
        .select_related("judge__employer")
        .order_by("position")
    ]
    seated = {s.seat.judge_id for s in seats}
    addable = [
        j
        for j in Judge.objects.filter(
            programme_id=match.stage.competition.programme_id, kind__in=MARKERS
        )
        .select_related("employer")
        .order_by("kind", "name")
        if j.pk not in seated
    ]
    return MatchPage(
        match=match,
        entrants=entrants,
        seats=seats,
        addable=addable,
        may_referee=access.can_at(actor, REFEREE, match.stage.competition.org_unit),
    )
