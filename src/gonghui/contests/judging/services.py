"""Every write of judging: matches and their entrants, recusal by employer, the panel draw
(seed committed before, revealed at the draw: ``panels.py``), seats added by hand and
absences, the start of marking, the judges' marks and their corrections, and the chief
referee's score-sheet locks.

Each runs in one transaction with its audit event in the competition's own stream
(``contest:<id>``). The chief referee's writes need ``contests.referee`` at the
competition's organiser; a mark is the judge's own (the actor is the Judge's account).

Marks are immutable: a correction is a new mark naming the one it replaces and why. The
database refuses a mark from a recused, unseated or absent judge (migration 0002): the
checks here come first, for a clear message, and the triggers are the backstop (their
refusal is mapped to the same message). A mark carries the judge's device's idempotency
key: the same key again answers the stored mark and writes nothing (an offline phone sends
its queue again when the Wi-Fi is back)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import NamedTuple

from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common import crypto
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.contests import engine, events, panels
from gonghui.contests.judging import selectors
from gonghui.contests.models import (
    Competition,
    Entrant,
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
from gonghui.contests.scoring import SchemeError

SEED_CONTEXT = "contests.panel.seed"
PANEL_MAX = 15
CODE_MAX = 20
KEY_MIN, KEY_MAX = 8, 64
REASON_MAX = 200
NUMBER_MAX = 999_999  # 参赛号: 1–999999 (what the API's schema allows too)
CLOSED = (Stage.Status.LOCKED, Stage.Status.CONFIRMED)
NOT_IN_PLAY = (Entrant.Status.OUT, Entrant.Status.WITHDRAWN)

NOT_MARKING = "赛段当前不在评分中，不能评分"
RECUSED = "回避：您与该参赛人存在回避关系，不能为其评分"
NOT_SEATED = "您不在该参赛人所在场次的裁判组中，不能为其评分"
ABSENT = "您已被记录为缺席，不能评分"
SHEET_LOCKED = "评分表已锁定"
HAND_SEATED = "本场次已有人工指定的裁判入座，不能再抽签"
KEY_REUSED = "该幂等键已用于另一条评分（内容不同），请重新提交"
ALREADY_MARKED = "您已为该参赛人的此评分项评分；如需修改，请提交更正并说明原因"
BAD_NUMBER = f"参赛号应为 1–{NUMBER_MAX} 的整数"
FIRST_MARK_ONCE = "mark_first_once"  # the constraint (models.Mark): one first mark per cell


class Marked(NamedTuple):
    """A mark submitted: the stored mark, and whether it was already there (same key)."""

    mark: Mark
    duplicate: bool


def _referee(actor, competition: Competition):
    return events.allowed(actor, competition, selectors.REFEREE)


def _stage(stage) -> Stage:
    """The stage's row read afresh with its competition (a Stage or its pk)."""
    pk = stage.pk if isinstance(stage, Stage) else stage
    try:
        return Stage.objects.select_related("competition").get(pk=pk)
    except (Stage.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _match(match) -> Match:
    pk = match.pk if isinstance(match, Match) else match
    try:
        return Match.objects.select_related("stage__competition").get(pk=pk)
    except (Match.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _locked_match(match: Match) -> Match:
    return Match.objects.select_for_update().select_related("stage__competition").get(pk=match.pk)


def _integer(value) -> int | None:
    """An integer given as one or as ASCII digits (int() would also take "٣" or "1_0")."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, int):
        return value
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 30:
        return None
    return int(text)


def _number(entrant) -> int | None:
    """An entrant given as an Entrant or its number (参赛号, 1–999999); None for anything
    else (a number out of range never reaches the database, whose integers it overflows)."""
    if isinstance(entrant, Entrant):
        return entrant.number
    number = _integer(entrant)
    return number if number is not None and 1 <= number <= NUMBER_MAX else None


def _pk(value) -> int | None:
    """A record's id given as a number or its text (None: not one any row can have)."""
    pk = _integer(value)
    return pk if pk is not None and 1 <= pk < 2**63 else None


def _aspect(stage: Stage, code) -> dict:
    aspect = next(
        (a for a in (stage.scheme or {}).get("aspects", ()) if a.get("code") == code), None
    )
    if aspect is None:
        raise ValidationFailed({"aspect": f"评分项“{code}”不在本赛段的评分规则中"})
    return aspect


def _value(aspect: dict, value) -> str:
    problem = engine.mark_problem(aspect, value)
    if problem:
        raise ValidationFailed({"value": problem})
    return engine.canonical_number(value)


def _key(key) -> str:
    key = key.strip() if isinstance(key, str) else ""
    if not KEY_MIN <= len(key) <= KEY_MAX:
        raise ValidationFailed({"key": f"幂等键应为 {KEY_MIN}–{KEY_MAX} 个字符"})
    return key


# --- Matches and recusal -------------------------------------------------------------------


def match_create(
    *, actor, stage, code: str, entrants: Iterable, seed=None, panel_size: int = 5
) -> Match:
    """A heat or a challenge of ``stage`` and its entrants (Entrants or their numbers): each
    entrant is in one match of a stage; a challenge's ``seed`` (种子选手) is one of them."""
    stage = _stage(stage)
    competition = stage.competition
    _referee(actor, competition)
    code = (code or "").strip()
    errors = {}
    if not code or len(code) > CODE_MAX:
        errors["code"] = f"请填写场次编号（不超过 {CODE_MAX} 个字符）"
    if isinstance(panel_size, bool) or not isinstance(panel_size, int):
        errors["panel_size"] = "裁判组人数应为整数"
    elif not 1 <= panel_size <= PANEL_MAX:
        errors["panel_size"] = f"裁判组人数应为 1–{PANEL_MAX}"
    numbers = [_number(e) for e in entrants]
    if not numbers:
        errors["entrants"] = "请填写本场次的参赛人（参赛号）"
    elif None in numbers:
        errors["entrants"] = BAD_NUMBER
    elif len(set(numbers)) != len(numbers):
        errors["entrants"] = "参赛号有重复"
    seed_number = None if seed in (None, "") else _number(seed)
    if seed not in (None, "") and (seed_number is None or seed_number not in numbers):
        errors["seed"] = "守擂种子选手应为本场次的参赛人之一"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        stage = Stage.objects.select_for_update().select_related("competition").get(pk=stage.pk)
        if stage.status in CLOSED:
            raise Conflict(f"赛段“{stage.name}”{stage.get_status_display()}，不能再增加场次")
        found = {
            e.number: e for e in Entrant.objects.filter(competition=competition, number__in=numbers)
        }
        unknown = [n for n in numbers if n not in found]
        if unknown:
            raise ValidationFailed(
                {"entrants": f"本竞赛没有参赛号 {'、'.join(entrant_key(n) for n in unknown)}"}
            )
        gone = [found[n] for n in sorted(numbers) if found[n].status in NOT_IN_PLAY]
        if gone:
            said = "、".join(f"{entrant_key(e.number)}（{e.get_status_display()}）" for e in gone)
            raise ValidationFailed({"entrants": f"参赛人已退赛或已止步，不能编入场次：{said}"})
        taken = list(
            StageEntry.objects.filter(stage=stage, entrant__number__in=numbers)
            .order_by("entrant__number")
            .values_list("entrant__number", "match__code")
        )
        if taken:
            said = "、".join(f"{entrant_key(n)}（场次 {c}）" for n, c in taken)
            raise ValidationFailed({"entrants": f"参赛人已在本赛段的其他场次中：{said}"})
        if Match.objects.filter(stage=stage, code=code).exists():
            raise ValidationFailed({"code": f"本赛段已有场次 {code}"})
        match = Match.objects.create(
            stage=stage,
            code=code,
            seed=found[seed_number] if seed_number is not None else None,
            panel_size=panel_size,
        )
        StageEntry.objects.bulk_create(
            [StageEntry(stage=stage, entrant=found[n], match=match) for n in numbers]
        )
        events.event(
            actor,
            competition,
            Action.CONTESTS_MATCH_CREATE,
            obj=match,
            changes={
                "stage": [None, stage.pk],
                "match": [None, code],
                "entrants": [None, sorted(entrant_key(n) for n in numbers)],
                "seed": [None, entrant_key(seed_number) if seed_number is not None else None],
                "panel_size": [None, panel_size],
            },
        )
    return match


def recusals_by_employer(*, actor, competition: Competition) -> list[Recusal]:
    """Every expert, chief referee and arbiter of the programme who shares an employer with
    an entrant of ``competition`` is recused from that entrant (回避: 同一工作单位), one
    event per new recusal. Idempotent: pairs already recused are left as they are."""
    _referee(actor, competition)
    with transaction.atomic():
        competition = events.locked(competition)
        judges = list(
            Judge.objects.filter(
                programme_id=competition.programme_id,
                kind__in=[Judge.Kind.EXPERT, Judge.Kind.CHIEF, Judge.Kind.ARBITER],
                employer__isnull=False,
            ).order_by("pk")
        )
        employers = {j.employer_id for j in judges}
        entrants = list(
            Entrant.objects.filter(competition=competition, employer_id__in=employers)
            .select_related("employer")
            .order_by("number")
        )
        existing = set(
            Recusal.objects.filter(judge__in=judges, entrant__competition=competition).values_list(
                "judge_id", "entrant_id"
            )
        )
        made = []
        for judge in judges:
            for entrant in entrants:
                if entrant.employer_id != judge.employer_id or (judge.pk, entrant.pk) in existing:
                    continue
                recusal = Recusal.objects.create(
                    judge=judge,
                    entrant=entrant,
                    reason=Recusal.Reason.EMPLOYER,
                    note=f"同一工作单位：{entrant.employer.name}"[:200],
                )
                events.event(
                    actor,
                    competition,
                    Action.CONTESTS_RECUSAL,
                    obj=recusal,
                    changes={
                        "judge": [None, judge_key(judge.pk)],
                        "entrant": [None, entrant_key(entrant.number)],
                        "reason": [None, Recusal.Reason.EMPLOYER.value],
                    },
                )
                made.append(recusal)
    return made


# --- The panel draw ------------------------------------------------------------------------


def draw_commit(*, actor, match) -> Match:
    """A random seed for the match's panel draw, kept sealed; its SHA-256 (the commitment)
    is published now, before anyone knows the panel. Committed once."""
    match = _match(match)
    competition = match.stage.competition
    _referee(actor, competition)
    with transaction.atomic():
        match = _locked_match(match)
        if match.draw_commitment:
            raise Conflict("本场次已公布抽签承诺值，不能重新生成种子")
        if Seat.objects.filter(match=match).exists():
            raise Conflict(HAND_SEATED)
        seed = secrets.token_hex(32)
        match.draw_seed_sealed = crypto.encrypt(seed, context=SEED_CONTEXT)
        match.draw_commitment = panels.commitment(seed)
        match.save(update_fields=["draw_seed_sealed", "draw_commitment"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_DRAW_COMMIT,
            obj=match,
            changes={
                "stage": [None, match.stage_id],
                "match": [None, match.code],
                "commitment": [None, match.draw_commitment],
            },
        )
    return match


def panel_draw(*, actor, match) -> list[Seat]:
    """Reveal the seed and draw the panel (``panels.draw_panel``) from the programme's
    expert judges: no judge from an entrant's employer, none who declared a relationship
    with an entrant of the match, one judge per employer. The seats are created in drawing
    order; the event carries everything needed to re-run the draw. A pool too small for a
    full panel is refused and nothing is written."""
    match = _match(match)
    competition = match.stage.competition
    _referee(actor, competition)
    with transaction.atomic():
        match = _locked_match(match)
        if not match.draw_commitment:
            raise Conflict("请先生成并公布抽签承诺值，再抽签")
        if match.drawn_at is not None:
            raise Conflict("本场次已抽签")
        if match.stage.status in CLOSED:
            raise Conflict("赛段评分已锁定，不能再抽签")
        if Seat.objects.filter(match=match).exists():
            # Seats added by hand before the draw would escape its rules (one judge per
            # employer, none from an entrant's employer): the draw seats the whole panel.
            raise Conflict(HAND_SEATED)
        seed = crypto.decrypt(match.draw_seed_sealed, context=SEED_CONTEXT)
        record = selectors.draw_inputs(match)
        try:
            panel = panels.draw_panel(
                seed=seed,
                match=match.code,
                pool=record["pool"],
                size=match.panel_size,
                entrant_employers=record["entrant_employers"],
                declared=record["declared"],
            )
        except panels.DrawError as exc:
            raise Conflict(str(exc)) from None
        ids = {judge_key(pk): pk for pk in record["judges"]}
        seats = Seat.objects.bulk_create(
            [
                Seat(match=match, judge_id=ids[key], position=n)
                for n, key in enumerate(panel, start=1)
            ]
        )
        match.draw_seed = seed
        match.drawn_at = timezone.now()
        match.save(update_fields=["draw_seed", "drawn_at"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_PANEL_DRAW,
            obj=match,
            changes={
                "stage": [None, match.stage_id],
                "match": [None, match.code],
                "seed": [None, seed],
                "commitment": [None, match.draw_commitment],
                "size": [None, match.panel_size],
                "pool": [None, record["pool"]],
                "entrant_employers": [None, record["entrant_employers"]],
                "declared": [None, record["declared"]],
                "panel": [None, panel],
            },
        )
    return seats


def seat_add(*, actor, match, judge) -> Seat:
    """Seat a judge (a Judge or its pk) by hand (the chief referee's own seat): refused for
    a judge recused from an entrant of the match, from an entrant's employer, or from an
    employer already on the panel; refused too between the draw's commitment and the draw
    (the draw seats the whole panel: ``panel_draw`` refuses a match with seats)."""
    match = _match(match)
    competition = match.stage.competition
    _referee(actor, competition)
    with transaction.atomic():
        match = _locked_match(match)
        if match.stage.status in CLOSED:
            raise Conflict("赛段评分已锁定，不能再调整裁判组")
        if match.draw_commitment and match.drawn_at is None:
            raise Conflict("本场次已公布抽签承诺值，请先抽签，抽签后再增补裁判")
        if not isinstance(judge, Judge):
            pk = _pk(judge)
            judge = pk and Judge.objects.filter(pk=pk).first()
        if (
            not judge
            or judge.programme_id != competition.programme_id
            or judge.kind not in selectors.MARKERS
        ):
            raise ValidationFailed({"judge": "请选择本项目裁判库中的专家裁判或裁判长"})
        problem = selectors.seat_problem(match, judge)
        if problem:
            raise ValidationFailed({"judge": problem})
        position = (Seat.objects.filter(match=match).aggregate(m=Max("position"))["m"] or 0) + 1
        seat = Seat.objects.create(match=match, judge=judge, position=position)
        events.event(
            actor,
            competition,
            Action.CONTESTS_SEAT_ADD,
            obj=seat,
            changes={
                "stage": [None, match.stage_id],
                "match": [None, match.code],
                "judge": [None, judge_key(judge.pk)],
                "position": [None, position],
            },
        )
    return seat


def seat_absent(*, actor, seat: Seat, reason: str) -> Seat:
    """A judge missing from the panel (缺席): recorded with the reason; their seat marks no
    more (the database refuses it), and the aggregation uses the marks there are. Recording
    an absence twice does nothing."""
    reason = (reason or "").strip()
    try:
        seat = Seat.objects.select_related("match__stage__competition").get(pk=seat.pk)
    except Seat.DoesNotExist:
        raise NotFound() from None
    competition = seat.match.stage.competition
    _referee(actor, competition)
    if not reason or len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": f"请说明缺席原因（不超过 {REASON_MAX} 个字）"})
    with transaction.atomic():
        stage = Stage.objects.select_for_update().get(pk=seat.match.stage_id)
        seat = Seat.objects.select_for_update().select_related("match").get(pk=seat.pk)
        if seat.absent:
            return seat
        if stage.status in CLOSED:
            raise Conflict(f"赛段“{stage.name}”{stage.get_status_display()}，不能再记录缺席")
        seat.absent = True
        seat.save(update_fields=["absent"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_SEAT_ABSENT,
            obj=seat,
            changes={
                "stage": [None, seat.match.stage_id],
                "match": [None, seat.match.code],
                "judge": [None, judge_key(seat.judge_id)],
                "absent": [False, True],
                "reason": [None, reason],
            },
        )
    return seat


def stage_start(*, actor, stage) -> Stage:
    """Planned → marking: the scheme is fixed and the judges may mark. Every match of the
    stage must have its panel."""
    stage = _stage(stage)
    competition = stage.competition
    _referee(actor, competition)
    with transaction.atomic():
        stage = Stage.objects.select_for_update().select_related("competition").get(pk=stage.pk)
        if stage.status != Stage.Status.PLANNED:
            raise Conflict(f"赛段当前为“{stage.get_status_display()}”，不能开始评分")
        problems = engine.scheme_problems(stage.scheme) | engine.rule_problems(stage.rule)
        if problems:
            field, message = next(iter(problems.items()))
            raise Conflict(f"评分规则有误（{field}）：{message}")
        unpanelled = selectors.matches_without_panel(stage)
        if unpanelled is None:
            raise Conflict("本赛段还没有场次")
        if unpanelled:
            raise Conflict(f"场次 {'、'.join(unpanelled)} 尚未组成裁判组")
        stage.status = Stage.Status.MARKING
        stage.save(update_fields=["status"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_STAGE_START,
            obj=stage,
            changes={"stage": [None, stage.pk], "status": ["planned", "marking"]},
        )
    return stage


# --- Marks ---------------------------------------------------------------------------------


def _judge(actor, stage: Stage) -> Judge:
    """The actor's own judge row in the stage's programme (an expert or the chief referee);
    NotFound for anyone else."""
    judge = selectors.judge_of(actor, stage)
    if judge is None:
        raise NotFound()
    return judge


def _lock_entry(stage: Stage, entrant) -> dict:
    """The entrant's place in the stage (``pk``, ``entrant_id``, ``entrant__number``),
    its row locked for this transaction: a mark, a correction and the sheet's lock on one
    entrant go one after the other. The lock is taken alone, before any check is read:
    PostgreSQL evaluates a locking statement's other columns on the snapshot it started
    with, before it waited for the lock, and would miss what the holder wrote."""
    number = _number(entrant)
    if number is None:
        raise ValidationFailed({"entrant": BAD_NUMBER})
    qs = StageEntry.objects.filter(stage_id=stage.pk)
    qs = (
        qs.filter(entrant_id=entrant.pk)
        if isinstance(entrant, Entrant)
        else qs.filter(entrant__number=number)
    )
    row = qs.select_for_update(of=("self",)).values("pk", "entrant_id", "entrant__number").first()
    if row is None:
        raise ValidationFailed({"entrant": f"参赛号 {entrant_key(number)} 不在本赛段的场次中"})
    return row


def _entry(stage: Stage, judge: Judge, entrant, aspect: str) -> dict:
    """The entrant's place in the stage, locked (``_lock_entry``), then what decides
    whether this judge may mark it, read after the lock (a statement of its own: it sees
    what the lock's previous holder committed)."""
    row = _lock_entry(stage, entrant)
    row |= selectors.mark_checks(row["pk"], judge.pk, aspect)
    if row["recused"]:
        raise ValidationFailed({"entrant": RECUSED})
    if row["seat_absent"] is None:
        raise ValidationFailed({"entrant": NOT_SEATED})
    if row["seat_absent"]:
        raise ValidationFailed({"entrant": ABSENT})
    if row["sheet"]:
        raise ValidationFailed({"entrant": SHEET_LOCKED})
    return row


def _refusal(exc: DatabaseError) -> ValidationFailed | Conflict | None:
    """A database trigger's or constraint's refusal of a mark, said as the checks say it."""
    text = str(exc)
    if "recused" in text:
        return ValidationFailed({"entrant": RECUSED})
    if "not seated" in text:
        return ValidationFailed({"entrant": NOT_SEATED})
    if "replaces" in text:
        return Conflict("该评分已被更正，请更正最新的评分")
    # PostgreSQL names the constraint; SQLite names its columns.
    if FIRST_MARK_ONCE in text or "contests_mark.aspect" in text:
        return ValidationFailed({"aspect": ALREADY_MARKED})
    return None


def _mark_event(actor, stage: Stage, mark: Mark, number: int) -> None:
    events.event(
        actor,
        stage.competition,
        Action.CONTESTS_MARK,
        obj=mark,
        changes={
            "stage": [None, stage.pk],
            "entrant": [None, entrant_key(number)],
            "judge": [None, judge_key(mark.judge_id)],
            "aspect": [None, mark.aspect],
            "value": [None, mark.value],
            "replaces": [None, mark.replaces_id],
            "reason": [None, mark.reason],
            "batch": [None, mark.batch_id],
        },
    )


def _again(actor, key: str, same) -> Marked | None:
    """A mark already stored under ``key``: the same content answers it as a duplicate
    (nothing written); other content is refused."""
    mark = Mark.objects.filter(key=key).select_related("judge", "entrant").first()
    if mark is None:
        return None
    if mark.judge.user_id != getattr(actor, "pk", None) or not same(mark):
        raise Conflict(KEY_REUSED)
    return Marked(mark, True)


def _store(actor, key: str, same, write) -> Marked:
    """``write()`` in one transaction, unless ``key`` was used already; a race on the key
    (two sends of one queued mark at once) ends as the duplicate it is."""
    found = _again(actor, key, same)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Marked(write(), False)
    except (DatabaseError, ValidationFailed, Conflict) as exc:
        # The same key sent twice at once: the second waited for the first (the entrant's
        # row lock, or the key's unique index) and finds its mark stored.
        found = _again(actor, key, same)
        if found is not None:
            return found
        if not isinstance(exc, DatabaseError):
            raise
        refusal = _refusal(exc)
        if refusal is None:
            raise
        raise refusal from None


def mark_submit(*, actor, stage, entrant, aspect: str, value, key: str) -> Marked:
    """The judge (``actor``) records one mark on one aspect of one entrant (an Entrant or
    its number) in ``stage`` (a Stage or its pk). ``key`` is the device's idempotency key:
    the same key again answers the stored mark (``duplicate``), nothing written."""
    key = _key(key)
    stage = _stage(stage)
    aspect_code = aspect if isinstance(aspect, str) else ""
    number = _number(entrant)

    def same(mark: Mark) -> bool:
        try:
            text = engine.canonical_number(value)
        except SchemeError:
            return False
        return (
            mark.stage_id == stage.pk
            and mark.entrant.number == number
            and mark.aspect == aspect_code
            and mark.value == text
            and mark.replaces_id is None
        )

    def write() -> Mark:
        judge = _judge(actor, stage)
        if stage.status != Stage.Status.MARKING:
            raise ValidationFailed({"stage": NOT_MARKING})
        spec = _aspect(stage, aspect_code)
        text = _value(spec, value)
        row = _entry(stage, judge, entrant, aspect_code)
        if row["marked"]:
            raise ValidationFailed({"aspect": ALREADY_MARKED})
        mark = Mark.objects.create(
            stage_id=stage.pk,
            entrant_id=row["entrant_id"],
            judge=judge,
            aspect=aspect_code,
            value=text,
            key=key,
            created_at=timezone.now(),
        )
        _mark_event(actor, stage, mark, row["entrant__number"])
        return mark

    return _store(actor, key, same, write)


def mark_correct(*, actor, mark, value, reason: str, key: str) -> Marked:
    """A correction of the judge's own mark (a Mark or its pk): a new mark replacing it,
    with the reason; both are kept. Only the latest mark of a chain can be corrected, and
    not once the sheet is locked (a ruling's re-scoring goes through its batch)."""
    key = _key(key)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    pk = mark.pk if isinstance(mark, Mark) else mark
    try:
        old = Mark.objects.select_related("stage__competition", "entrant", "judge").get(pk=pk)
    except (Mark.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if old.judge.user_id is None or old.judge.user_id != getattr(actor, "pk", None):
        raise NotFound()

    def same(mark: Mark) -> bool:
        try:
            text = engine.canonical_number(value)
        except SchemeError:
            return False
        return mark.replaces_id == old.pk and mark.value == text and mark.reason == reason

    def write() -> Mark:
        stage = _stage(old.stage_id)
        if not reason or len(reason) > REASON_MAX:
            raise ValidationFailed({"reason": f"请说明更正原因（不超过 {REASON_MAX} 个字）"})
        if stage.status != Stage.Status.MARKING:
            raise ValidationFailed({"stage": NOT_MARKING})
        text = _value(_aspect(stage, old.aspect), value)
        _entry(stage, old.judge, old.entrant, old.aspect)
        if Mark.objects.filter(replaces=old).exists():
            raise Conflict("该评分已被更正，请更正最新的评分")
        new = Mark.objects.create(
            stage_id=stage.pk,
            entrant_id=old.entrant_id,
            judge_id=old.judge_id,
            aspect=old.aspect,
            value=text,
            replaces=old,
            reason=reason,
            key=key,
            created_at=timezone.now(),
        )
        _mark_event(actor, stage, new, old.entrant.number)
        return new

    return _store(actor, key, same, write)


# --- Score sheets --------------------------------------------------------------------------


def sheet_lock(*, actor, stage, entrant) -> Sheet:
    """The chief referee locks an entrant's score sheet (评分表): every aspect marked by
    every seated, present judge of the entrant's match who is not recused from them (a
    measurement aspect: at least one mark), and no judgement aspect whose marks differ by
    more than the scheme's spread. Locking twice does nothing."""
    stage = _stage(stage)
    competition = stage.competition
    _referee(actor, competition)
    if _number(entrant) is None:
        raise ValidationFailed({"entrant": BAD_NUMBER})
    with transaction.atomic():
        locked = _lock_entry(stage, entrant)  # the row a mark or a correction locks
        entry = StageEntry.objects.select_related("entrant").get(pk=locked["pk"])
        existing = Sheet.objects.filter(stage_id=stage.pk, entrant_id=entry.entrant_id).first()
        if existing is not None:
            return existing
        if stage.status != Stage.Status.MARKING:
            raise Conflict(f"赛段当前为“{stage.get_status_display()}”，不能锁定评分表")
        missing = selectors.sheet_missing(stage, entry)
        if missing:
            raise Conflict("评分未完成：" + "；".join(missing))
        marks = selectors.entrant_marks(stage, entry.entrant_id)
        spread = engine.spread_problems(stage.scheme, marks)
        if spread:
            raise Conflict("；".join(message for _, _, message in spread))
        sheet = Sheet.objects.create(
            stage_id=stage.pk,
            entrant_id=entry.entrant_id,
            locked_at=timezone.now(),
            locked_by=actor,
        )
        events.event(
            actor,
            competition,
            Action.CONTESTS_SHEET_LOCK,
            obj=sheet,
            changes={
                "stage": [None, stage.pk],
                "entrant": [None, entrant_key(entry.entrant.number)],
            },
        )
    return sheet
