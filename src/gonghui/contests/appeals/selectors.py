"""Reads of arbitration: a competition's appeals, one appeal with its ruling and re-scoring
batches (staff), and the entrant's own appeal page."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from gonghui.common.errors import NotFound
from gonghui.common.schemas import MAX_ID
from gonghui.contests import visibility
from gonghui.contests.models import (
    Appeal,
    Competition,
    Entrant,
    Mark,
    RescoreBatch,
    Result,
    Stage,
    StageEntry,
)
from gonghui.contests.records import entrant_key
from gonghui.contests.results.selectors import appeal_window_ends
from gonghui.contests.setup import selectors as setup_selectors
from gonghui.orgs import access

SORTS = {
    "filed": "filed_at",
    "-filed": "-filed_at",
    "entrant": "entrant__number",
    "-entrant": "-entrant__number",
    "copies": "copies",
    "-copies": "-copies",
}


def _pk(pk) -> int:
    """An id from an address: one no row can have is NotFound here (SQLite cannot even
    bind it)."""
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise NotFound()
    return pk


def results_public(stage: Stage) -> bool:
    """Whether the stage's results are public: locked, and none held back by a freeze
    (``visibility.public_results``). Appeals are filed against public results only."""
    current = Result.objects.filter(stage=stage, superseded_by__isnull=True)
    public = visibility.public_results().filter(stage=stage)
    return current.exists() and current.count() == public.count()


def appeal_window(stage: Stage):
    """When the stage's appeal window closes: None while its results are not public (the
    window is ``results.selectors.appeal_window_ends``, from when they became public)."""
    return appeal_window_ends(stage) if results_public(stage) else None


def competition_get(actor, pk: int) -> Competition:
    """``setup.selectors.competition_get``, for an id from an address."""
    return setup_selectors.competition_get(actor, _pk(pk))


def appeal_list(actor, competition: Competition, *, status: str = "", sort: str = ""):
    competition_get(actor, competition.pk)
    appeals = Appeal.objects.filter(stage__competition=competition).select_related(
        "stage", "entrant__person"
    )
    if status in Appeal.Status.values:
        appeals = appeals.filter(status=status)
    return appeals.order_by(SORTS.get(sort, "-filed_at"), "-id")


def appeal_get(actor, pk: int) -> Appeal:
    return access.get_or_404(
        Appeal.objects.select_related(
            "stage__competition__org_unit", "entrant__person", "entrant__employer", "ruled_by"
        ),
        actor,
        "contests.view",
        via="stage__competition__org_unit",
        pk=_pk(pk),
    )


def batch_get(actor, pk: int) -> RescoreBatch:
    batch = RescoreBatch.objects.select_related("appeal").filter(pk=_pk(pk)).first()
    if batch is None:
        raise NotFound()
    appeal_get(actor, batch.appeal_id)
    return batch


@dataclass
class MarkLine:
    mark: Mark
    judge_name: str
    corrected: bool  # a correction of an earlier mark


@dataclass
class AppealPage:
    appeal: Appeal
    may_arbitrate: bool
    window_end: object
    marks: list[MarkLine]
    batches: list[RescoreBatch]
    result: Result | None


def appeal_page(actor, pk: int) -> AppealPage:
    """The appeal, its ruling, the appellant's current marks in the stage (what a
    re-scoring may correct), the re-scoring batches with their before/after preview."""
    appeal = appeal_get(actor, pk)
    marks = (
        Mark.objects.filter(
            stage_id=appeal.stage_id, entrant_id=appeal.entrant_id, replaced_by__isnull=True
        )
        .select_related("judge")
        .order_by("aspect", "judge_id")
    )
    return AppealPage(
        appeal=appeal,
        may_arbitrate=access.can_at(actor, "contests.arbitrate", appeal.stage.competition.org_unit),
        window_end=appeal_window(appeal.stage),
        marks=[MarkLine(m, m.judge.name, m.replaces_id is not None) for m in marks],
        batches=list(appeal.batches.select_related("created_by").order_by("-id")),
        result=Result.objects.filter(
            stage_id=appeal.stage_id, entrant_id=appeal.entrant_id, superseded_by__isnull=True
        ).first(),
    )


# --- The entrant's own page --------------------------------------------------------------


@dataclass
class EntrantAppeal:
    stage: Stage
    entrant: Entrant
    number: str
    window_end: object
    open: bool
    appeals: list[Appeal]
    result: Result | None  # only what the public may see (a freeze holds it back)


def entrant_stage(user, stage_pk: int) -> EntrantAppeal:
    """The signed-in entrant's appeal page of a stage (NotFound for anyone not in it)."""
    if user is None or not user.is_authenticated:
        raise NotFound()
    entry = (
        StageEntry.objects.filter(stage_id=_pk(stage_pk), entrant__person__user=user)
        .select_related("stage__competition", "entrant__person")
        .first()
    )
    if entry is None:
        raise NotFound()
    end = appeal_window(entry.stage)
    return EntrantAppeal(
        stage=entry.stage,
        entrant=entry.entrant,
        number=entrant_key(entry.entrant.number),
        window_end=end,
        open=end is not None and timezone.now() < end,
        appeals=list(
            Appeal.objects.filter(stage=entry.stage, entrant=entry.entrant).order_by("-filed_at")
        ),
        result=visibility.public_results().filter(stage=entry.stage, entrant=entry.entrant).first(),
    )
