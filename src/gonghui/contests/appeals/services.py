"""Arbitration (仲裁): an entrant's written appeal within the stage's window, the
arbitration group's final ruling, and the re-scoring batch an upheld ruling may order.

A re-scoring is previewed (its effect on scores and places, computed by ``engine`` from the
stage's record with the corrections in place of the marks they correct) and then applied
or cancelled as a whole: applying records each corrected mark as a new mark that replaces
the old one (both kept), marks the stage's current results superseded by the batch (kept)
and writes the new ones, all in one transaction with their events.

An appeal is filed against public results only (not while a freeze holds them back), within
``results.selectors.appeal_window_ends`` (counted from when they became public). An upheld
ruling says whether it orders a re-scoring (``Appeal.rescore``): one that does holds the
stage's advance until a batch of it is applied (``results.selectors.advance_blockers``);
one that does not closes the appeal. A re-scoring corrects the appellant's marks only, and
is applied only onto the results it was previewed against.

A stage whose advance is confirmed is not re-scored here (its next stage may have started
from it): the ruling is recorded and the chief referee settles it.

Locks are taken in the order of ``results``: the competition, then the stage, then the
batch."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.common.formats import cn_datetime
from gonghui.contests import engine, events, records
from gonghui.contests.appeals.selectors import appeal_window
from gonghui.contests.engine import canonical_number
from gonghui.contests.jury.text import folded
from gonghui.contests.models import (
    Appeal,
    Entrant,
    Judge,
    Mark,
    RescoreBatch,
    Result,
    Stage,
    StageEntry,
)
from gonghui.contests.records import entrant_key, judge_key
from gonghui.contests.results.services import results_payload, results_write
from gonghui.contests.scoring import SchemeError

TEXT_MAX = 2000
RULING_MAX = 2000
REASON_PREFIX = "仲裁裁决："


def _digest(text: str) -> str:
    """An appeal's text as compared for merging: folded (NFKC, whitespace collapsed)."""
    return hashlib.sha256(folded(text).encode()).hexdigest()


# --- Appeals and rulings -------------------------------------------------------------------


def appeal_file(*, actor, stage: Stage, entrant: Entrant, text: str) -> Appeal:
    """The entrant's own appeal (their account is ``entrant.person.user``), within
    ``stage.appeal_minutes`` after the stage's results. The same text again (normalised)
    merges into the first appeal: ``copies`` + 1, no new row."""
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or entrant.person.user_id != actor.pk
        or not StageEntry.objects.filter(stage=stage, entrant=entrant).exists()
    ):
        raise NotFound()
    text = (text or "").strip()
    if not folded(text):
        raise ValidationFailed({"text": "请填写申诉内容"})
    if len(text) > TEXT_MAX:
        raise ValidationFailed({"text": f"申诉内容最多 {TEXT_MAX} 字"})
    now = timezone.now()
    end = appeal_window(stage)
    if end is None:
        raise ValidationFailed({"stage": "本赛段成绩尚未公布，暂不能申诉"})
    if now >= end:
        raise ValidationFailed(
            {
                "stage": f"申诉期已过：本赛段成绩公布后 {stage.appeal_minutes} 分钟内可申诉"
                f"（截至 {cn_datetime(end)}）"
            }
        )
    digest = _digest(text)
    competition = stage.competition
    with transaction.atomic():
        found = Appeal.objects.select_for_update().filter(
            stage=stage, entrant=entrant, digest=digest
        )
        appeal = found.first()
        if appeal is None:
            try:
                with transaction.atomic():
                    appeal = Appeal.objects.create(
                        stage=stage, entrant=entrant, text=text, digest=digest, filed_at=now
                    )
            except IntegrityError:  # the same appeal at the same moment: merge into it
                appeal = found.get()
            else:
                events.event(
                    actor,
                    competition,
                    Action.CONTESTS_APPEAL_FILE,
                    obj=appeal,
                    changes={
                        "stage": [None, stage.pk],
                        "entrant": [None, entrant_key(entrant.number)],
                        "digest": [None, digest],
                    },
                )
                appeal.merged = False
                return appeal
        appeal.copies += 1
        appeal.save(update_fields=["copies"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_APPEAL_MERGE,
            obj=appeal,
            changes={"copies": [appeal.copies - 1, appeal.copies], "digest": [None, digest]},
        )
    appeal.merged = True
    return appeal


def _arbitrate(actor, appeal: Appeal):
    return events.allowed(actor, appeal.stage.competition, "contests.arbitrate")


def appeal_rule(
    *, actor, appeal: Appeal, upheld: bool, ruling: str, rescore: bool | None = None
) -> Appeal:
    """The arbitration group's ruling: upheld or dismissed, with its reasons, and for an
    upheld one whether it orders the marks re-scored (``rescore``; by default it does).
    Final: a second ruling is refused."""
    grant = _arbitrate(actor, appeal)
    ruling = (ruling or "").strip()
    if not ruling:
        raise ValidationFailed({"ruling": "请填写仲裁结论"})
    if len(ruling) > RULING_MAX:
        raise ValidationFailed({"ruling": f"仲裁结论最多 {RULING_MAX} 字"})
    if not isinstance(upheld, bool):
        raise ValidationFailed({"upheld": "请选择申诉是否成立"})
    if rescore is None:
        rescore = upheld
    if not isinstance(rescore, bool):
        raise ValidationFailed({"rescore": "请选择是否需要重评"})
    if rescore and not upheld:
        raise ValidationFailed({"rescore": "申诉不成立时不能要求重评"})
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != Appeal.Status.OPEN:
            raise Conflict(f"该申诉已裁决（{appeal.get_status_display()}），仲裁结论为终局")
        status = Appeal.Status.UPHELD if upheld else Appeal.Status.DISMISSED
        appeal.status = status
        appeal.ruling = ruling
        appeal.ruled_at = timezone.now()
        appeal.ruled_by = actor
        appeal.rescore = rescore
        appeal.save(update_fields=["status", "ruling", "ruled_at", "ruled_by", "rescore"])
        events.event(
            actor,
            appeal.stage.competition,
            Action.CONTESTS_APPEAL_RULE,
            obj=appeal,
            changes={
                "status": ["open", str(status)],
                "ruling": [None, ruling],
                "rescore": [False, rescore],
            },
            post_id=grant.post_id,
        )
    return appeal


# --- Re-scoring ----------------------------------------------------------------------------


def _refuse_unruled(appeal: Appeal, stage: Stage) -> None:
    if appeal.status != Appeal.Status.UPHELD:
        raise ValidationFailed(
            {
                "appeal": "重评须以“申诉成立”的仲裁裁决为依据：该申诉尚未裁决成立，不能改动已锁定的成绩"
            }
        )
    if not appeal.rescore:
        raise ValidationFailed({"appeal": "该仲裁裁决未要求重评，申诉已结案"})
    if stage.status == Stage.Status.CONFIRMED:
        raise Conflict("本赛段晋级已确认，不能再重评")
    if not Result.objects.filter(stage=stage, superseded_by__isnull=True).exists():
        raise Conflict("本赛段成绩尚未锁定，无需重评：请由裁判组更正评分")


def _current_marks(stage: Stage) -> dict[tuple[int, int, str], Mark]:
    """(judge, entrant, aspect) → the mark that counts now (no later mark replaces it)."""
    marks = Mark.objects.filter(stage=stage, replaced_by__isnull=True).order_by("id")
    return {(m.judge_id, m.entrant_id, m.aspect): m for m in marks}


def _checked_changes(stage: Stage, appellant: int, changes) -> list[dict]:
    """The corrections of the appellant's marks, each against the mark it replaces:
    [{judge, entrant, aspect, value, replaces, before}] (ids), or ValidationFailed naming
    the line and the field."""
    if not isinstance(changes, list) or not changes:
        raise ValidationFailed({"changes": "请至少更正一个分数"})
    aspects = {a["code"]: a for a in (stage.scheme or {}).get("aspects", [])}
    current = _current_marks(stage)
    seen: set[tuple[int, int, str]] = set()
    out = []
    errors: dict[str, str] = {}
    for n, change in enumerate(changes, start=1):
        where = f"changes.{n}"
        if not isinstance(change, Mapping):
            errors[where] = "每项更正应包含裁判、参赛人、评分项与分数"
            continue
        try:
            judge, entrant = int(change.get("judge")), int(change.get("entrant"))
        except (TypeError, ValueError):
            errors[where] = "每项更正应包含裁判与参赛人"
            continue
        aspect, value = str(change.get("aspect", "")), change.get("value")
        if entrant != appellant:
            errors[f"{where}.entrant"] = "重评只能更正申诉人的分数"
            continue
        if aspect not in aspects:
            errors[f"{where}.aspect"] = f"评分项 {aspect or '（空）'} 不在本赛段的评分规则中"
            continue
        problem = engine.mark_problem(aspects[aspect], value)
        if problem:
            errors[f"{where}.value"] = problem
            continue
        mark = current.get((judge, entrant, aspect))
        if mark is None:
            errors[f"{where}.judge"] = "该裁判对此参赛人的该评分项没有分数，无从更正"
            continue
        if (judge, entrant, aspect) in seen:
            errors[where] = "同一分数更正了两次"
            continue
        seen.add((judge, entrant, aspect))
        value = canonical_number(value)
        if value == canonical_number(mark.value):
            errors[f"{where}.value"] = "新分数与原分数相同"
            continue
        out.append(
            {
                "judge": judge,
                "entrant": entrant,
                "aspect": aspect,
                "value": value,
                "replaces": mark.pk,
                "before": mark.value,
            }
        )
    if errors:
        raise ValidationFailed(errors)
    return out


def _corrected_record(stage: Stage, changes: list[dict]) -> dict:
    """The stage's record with each correction as a new mark replacing the current one."""
    record = records.stage_record(stage)
    numbers = dict(
        Entrant.objects.filter(pk__in={c["entrant"] for c in changes}).values_list("pk", "number")
    )
    for n, c in enumerate(changes, start=1):
        record["marks"].append(
            {
                "id": f"batch-{n}",
                "entrant": entrant_key(numbers[c["entrant"]]),
                "judge": judge_key(c["judge"]),
                "aspect": c["aspect"],
                "value": c["value"],
                "replaces": c["replaces"],
            }
        )
    return record


def _current_results(stage: Stage) -> list[int]:
    """The ids of the stage's current results: what a preview was computed against."""
    return sorted(
        Result.objects.filter(stage=stage, superseded_by__isnull=True).values_list("pk", flat=True)
    )


def _preview(stage: Stage, after: list[dict]) -> dict:
    before = {
        entrant_key(number): (score, place, advanced)
        for number, score, place, advanced in Result.objects.filter(
            stage=stage, superseded_by__isnull=True
        ).values_list("entrant__number", "score", "place", "advanced")
    }
    rows = []
    for r in after:
        old = before.get(r["entrant"], (None, None, None))
        rows.append(
            {
                "entrant": r["entrant"],
                "before_score": old[0],
                "before_place": old[1],
                "before_advanced": old[2],
                "after_score": r["score"],
                "after_place": r["place"],
                "after_advanced": r["advanced"],
            }
        )
    return {
        "rows": rows,
        "scheme_version": stage.scheme_version,
        "results": _current_results(stage),
    }


def rescore_preview(*, actor, appeal: Appeal, changes) -> RescoreBatch:
    """A re-scoring ordered by an upheld ruling: ``changes`` = [{judge (Judge pk), entrant
    (Entrant pk), aspect, value}], each correcting a current mark; the stage's results
    recomputed with them, before/after per entrant, stored as a batch to apply or cancel."""
    grant = _arbitrate(actor, appeal)
    appeal = Appeal.objects.get(pk=appeal.pk)  # decided on its state now, not as passed in
    stage = Stage.objects.select_related("competition").get(pk=appeal.stage_id)
    _refuse_unruled(appeal, stage)
    checked = _checked_changes(stage, appeal.entrant_id, changes)
    try:
        after = engine.stage_results(_corrected_record(stage, checked))
    except SchemeError as exc:
        raise ValidationFailed({"changes": f"按更正后的分数无法计算成绩：{exc}"}) from None
    with transaction.atomic():
        batch = RescoreBatch.objects.create(
            appeal=appeal, changes=checked, preview=_preview(stage, after), created_by=actor
        )
        events.event(
            actor,
            stage.competition,
            Action.CONTESTS_RESCORE_PREVIEW,
            obj=batch,
            changes={
                "appeal": [None, appeal.pk],
                "stage": [None, stage.pk],
                "changes": [None, [_change_payload(c, appeal.entrant) for c in checked]],
            },
            post_id=grant.post_id,
        )
    return batch


def _change_payload(change: dict, appellant: Entrant) -> dict:
    return {
        "judge": judge_key(change["judge"]),
        "entrant": entrant_key(appellant.number),
        "aspect": change["aspect"],
        "value": change["value"],
        "replaces": change["replaces"],
    }


def _locked_batch(batch: RescoreBatch) -> RescoreBatch:
    batch = (
        RescoreBatch.objects.select_for_update(of=("self",))
        .select_related("appeal__stage__competition", "appeal__entrant")
        .get(pk=batch.pk)
    )
    if batch.status != RescoreBatch.Status.PREVIEW:
        raise Conflict(f"该重评批次{batch.get_status_display()}，不能再次确认或取消")
    return batch


def rescore_apply(*, actor, batch: RescoreBatch) -> RescoreBatch:
    """Apply a previewed re-scoring as a whole: the corrected marks (each replacing the
    mark it corrects, both kept), the stage's current results superseded by the batch and
    the new ones written, in one transaction."""
    grant = _arbitrate(actor, batch.appeal)
    now = timezone.now()
    with transaction.atomic():
        # The order of results_lock and advance_confirm: competition, stage, batch.
        competition = events.locked(batch.appeal.stage.competition)
        stage = Stage.objects.select_for_update().get(pk=batch.appeal.stage_id)
        stage.competition = competition
        batch = _locked_batch(batch)
        appeal = batch.appeal
        _refuse_unruled(appeal, stage)
        if batch.preview.get("results") != _current_results(stage):
            raise Conflict("预览之后本赛段成绩已有变化，请取消本批次后重新预览")
        current = _current_marks(stage)
        entrants = {
            e.pk: e for e in Entrant.objects.filter(pk__in={c["entrant"] for c in batch.changes})
        }
        reason = (REASON_PREFIX + appeal.ruling)[:200]
        for change in batch.changes:
            old = current.get((change["judge"], change["entrant"], change["aspect"]))
            if old is None or old.pk != change["replaces"]:
                raise Conflict("预览之后分数已有变化，请取消本批次后重新预览")
            try:
                with transaction.atomic():
                    mark = Mark.objects.create(
                        stage=stage,
                        entrant_id=change["entrant"],
                        judge_id=change["judge"],
                        aspect=change["aspect"],
                        value=change["value"],
                        replaces=old,
                        reason=reason,
                        batch=batch,
                        key=f"batch-{batch.pk}-{uuid.uuid4().hex}",
                        created_at=now,
                    )
            except IntegrityError:
                judge = Judge.objects.get(pk=change["judge"])
                raise Conflict(
                    f"裁判 {judge.name} 已回避或不在该场次裁判组（或已缺席），不能由其更正分数"
                ) from None
            events.event(
                actor,
                competition,
                Action.CONTESTS_MARK,
                obj=mark,
                changes={
                    "stage": [None, stage.pk],
                    "entrant": [None, entrant_key(entrants[change["entrant"]].number)],
                    "judge": [None, judge_key(change["judge"])],
                    "aspect": [None, change["aspect"]],
                    "value": [None, change["value"]],
                    "replaces": [None, old.pk],
                    "reason": [None, reason],
                    "batch": [None, batch.pk],
                },
                post_id=grant.post_id,
            )
        try:
            rows = engine.stage_results(records.stage_record(stage))
        except SchemeError as exc:
            raise Conflict(f"按更正后的分数无法计算成绩：{exc}") from None
        results_write(stage, rows, batch=batch, now=now)
        events.event(
            actor,
            competition,
            Action.CONTESTS_RESULTS_LOCK,
            obj=stage,
            changes={
                "stage": [None, stage.pk],
                "scheme_version": [None, stage.scheme_version],
                "results": [None, results_payload(rows)],
            },
            post_id=grant.post_id,
        )
        batch.status = RescoreBatch.Status.APPLIED
        batch.decided_at = now
        batch.save(update_fields=["status", "decided_at"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_RESCORE_APPLY,
            obj=batch,
            changes={
                "status": ["preview", "applied"],
                "appeal": [None, appeal.pk],
                "stage": [None, stage.pk],
                "marks": [None, len(batch.changes)],
            },
            post_id=grant.post_id,
        )
        events.board_changed(competition)
        events.milestone(competition, f"{stage.name}重评生效")
    return batch


def rescore_cancel(*, actor, batch: RescoreBatch) -> RescoreBatch:
    """Drop a previewed re-scoring: nothing of it takes effect."""
    grant = _arbitrate(actor, batch.appeal)
    with transaction.atomic():
        batch = _locked_batch(batch)
        batch.status = RescoreBatch.Status.CANCELLED
        batch.decided_at = timezone.now()
        batch.save(update_fields=["status", "decided_at"])
        events.event(
            actor,
            batch.appeal.stage.competition,
            Action.CONTESTS_RESCORE_CANCEL,
            obj=batch,
            changes={"status": ["preview", "cancelled"], "appeal": [None, batch.appeal_id]},
            post_id=grant.post_id,
        )
    return batch
