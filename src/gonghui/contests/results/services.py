"""Every write of results: locking a stage's results, confirming who advances, awarding the
titles and nomination awards (into the registry, with the studio offer).

Each runs in one transaction, with its event in the competition's own stream
(``events.event``). Results are never computed here: ``engine.stage_results`` computes them
from the stage's raw record (``records.stage_record``), and the event carries exactly what
it returned, so that the notary's verifier can recompute and compare.

Decisions (issue #17):

* locking a stage's results needs every entrant's score sheet locked, no judgement aspect
  outside its allowed spread, and the stage's public vote closed (a vote cast after the
  lock would change the record the results came from); locking again is refused (a
  re-scoring goes through a ruling: the ``appeals`` feature writes its new results with
  ``results_write``);
* ``Stage.results_at`` is when the stage's results became public: at the lock, or, the
  board frozen, when the board reveals the stage's last hidden result (``board``). The
  appeal window runs from then (``selectors.appeal_window_ends``);
* the advancing list is confirmed only once the results are revealed (confirming while the
  board is frozen would show who is out), once the stage's appeal window has passed, and
  with no appeal or re-scoring of the stage open; the list confirmed must be the one the
  rule computed (the one the chief referee saw); confirming again does nothing;
* titles: the last stage confirmed, the top ``titles`` places take the title and the next
  ``nominee_awards`` places the nomination award (a place shared across a cut takes all who
  share it); the actor must be allowed to confer the honours (``registry.award`` at their
  conferring level). A second award does nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common.errors import Conflict, Forbidden, ValidationFailed
from gonghui.common.formats import cn_datetime
from gonghui.contests import engine, events, records
from gonghui.contests.models import (
    Competition,
    Entrant,
    Match,
    Programme,
    RescoreBatch,
    Result,
    Stage,
    StageEntry,
)
from gonghui.contests.results import selectors
from gonghui.contests.scoring import SchemeError, rank
from gonghui.orgs import access
from gonghui.registry.services import award_create, studio_offer

NEXT_MATCH = "A"  # the one match of a plain round prepared from the advancers


def _locked_stage(stage: Stage) -> Stage:
    return Stage.objects.select_for_update().get(pk=stage.pk)


# --- Locking results ---------------------------------------------------------------------------


def results_write(
    stage: Stage, rows: list[dict], *, batch: RescoreBatch | None = None, now: datetime
) -> list[Result]:
    """Write ``rows`` (what ``engine.stage_results`` returned) as the stage's current
    results, locked at ``now`` and revealed at ``now`` unless the competition is frozen.
    With ``batch`` (a ruling's re-scoring), the current results are kept and marked
    superseded by it first. Part of ``results_lock`` and of the appeals' re-scoring: the
    caller holds the competition's lock and records the event."""
    competition = stage.competition
    by_key = records.entrants_by_key(stage.competition_id)
    current = Result.objects.filter(stage=stage, superseded_by__isnull=True)
    if batch is not None:
        current.update(superseded_by=batch)
    elif current.exists():
        raise Conflict("本赛段已有成绩，须经仲裁重评更正")
    revealed = None if competition.frozen_at is not None else now
    return Result.objects.bulk_create(
        Result(
            stage=stage,
            entrant=by_key[row["entrant"]],
            score=row["score"],
            parts=row["parts"],
            place=row["place"],
            advanced=row["advanced"],
            scheme_version=stage.scheme_version,
            computed_at=now,
            locked_at=now,
            revealed_at=revealed,
        )
        for row in rows
    )


def results_payload(rows: list[dict]) -> list[list]:
    """The results as the event carries them: ``[entrant, score, place, advanced]`` in
    place order."""
    return [[r["entrant"], r["score"], r["place"], r["advanced"]] for r in rows]


def results_lock(*, actor, stage: Stage) -> list[Result]:
    """The chief referee locks the stage's results: computed from the raw record by the
    engine, written as the current results; unless the board is frozen, they are public
    now and the appeal window opens (``results_at``)."""
    grant = events.allowed(actor, stage.competition, "contests.referee")
    with transaction.atomic():
        competition = events.locked(stage.competition)
        stage = _locked_stage(stage)
        stage.competition = competition
        if stage.status in (Stage.Status.LOCKED, Stage.Status.CONFIRMED):
            raise Conflict("本赛段成绩已锁定；更正成绩须经仲裁组裁决后重评")
        now = timezone.now()
        if stage.votes_close_at is not None and now < stage.votes_close_at:
            raise Conflict(
                "大众评委投票尚未截止"
                f"（{cn_datetime(stage.votes_close_at)} 截止），"
                "截止后方可锁定成绩"
            )
        missing = selectors.missing_sheets(stage)
        if missing:
            raise Conflict(f"还有 {missing} 名参赛人的评分表未锁定，不能锁定成绩")
        record = records.stage_record(stage)
        if not record["entrants"]:
            raise Conflict("本赛段没有参赛人，不能锁定成绩")
        spreads = engine.spread_problems(stage.scheme, record["marks"])
        if spreads:
            entrant, _, message = spreads[0]
            raise Conflict(f"{entrant}号：{message}（共 {len(spreads)} 项），不能锁定成绩")
        try:
            rows = engine.stage_results(record)
        except SchemeError as exc:
            raise Conflict(f"成绩无法计算：{exc}") from None
        results = results_write(stage, rows, now=now)
        stage.status = Stage.Status.LOCKED
        stage.results_at = None if competition.frozen else now  # public now, or at the reveal
        stage.save(update_fields=["status", "results_at"])
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
        events.board_changed(competition)
        events.milestone(competition, f"{stage.name}成绩锁定")
    return results


# --- Advancing -----------------------------------------------------------------------------------


def _ids(advancing) -> list[int]:
    try:
        ids = [int(pk) for pk in advancing]
    except (TypeError, ValueError):
        raise ValidationFailed({"advancing": "晋级名单应为参赛人编号的列表"}) from None
    if len(set(ids)) != len(ids):
        raise ValidationFailed({"advancing": "晋级名单中有重复的参赛人"})
    return ids


def advance_confirm(*, actor, stage: Stage, advancing) -> Stage:
    """The chief referee confirms the advancing list they saw (entrant ids): it must be the
    rule's (the current results' ``advanced``). Entrants not advancing are out; those
    advancing from a seeding stage become seeds. A next stage that is a plain round gets
    its one match holding the advancers (a challenge stage is paired by the referee)."""
    grant = events.allowed(actor, stage.competition, "contests.referee")
    ids = _ids(advancing)
    with transaction.atomic():
        competition = events.locked(stage.competition)
        stage = _locked_stage(stage)
        stage.competition = competition
        results = list(selectors.current_results(stage))
        rule = [r.entrant_id for r in results if r.advanced]
        if stage.status == Stage.Status.CONFIRMED and set(ids) == set(rule):
            return stage  # confirmed already: nothing more to do
        blockers = selectors.advance_blockers(stage, now=timezone.now())
        if blockers:
            raise Conflict(blockers[0])
        if set(ids) != set(rule):
            raise ValidationFailed({"advancing": "晋级名单与规则计算结果不符"})
        going = set(rule)
        out = [r.entrant_id for r in results if r.entrant_id not in going]
        # A withdrawn entrant stays withdrawn (退赛), placed or not.
        playing = Entrant.objects.exclude(status=Entrant.Status.WITHDRAWN)
        playing.filter(pk__in=out).update(status=Entrant.Status.OUT)
        if stage.kind == Stage.Kind.SEEDING:
            playing.filter(pk__in=going).update(status=Entrant.Status.SEED)
        else:
            Entrant.objects.filter(pk__in=going, status=Entrant.Status.REGISTERED).update(
                status=Entrant.Status.COMPETING
            )
        now = timezone.now()
        stage.status = Stage.Status.CONFIRMED
        stage.confirmed_at = now
        stage.confirmed_by = actor
        stage.save(update_fields=["status", "confirmed_at", "confirmed_by"])
        prepared = _prepare_next(
            stage,
            [
                r.entrant
                for r in results
                if r.entrant_id in going and r.entrant.status != Entrant.Status.WITHDRAWN
            ],
        )
        changes = {
            "stage": [None, stage.pk],
            "advancing": [
                None,
                [records.entrant_key(r.entrant.number) for r in results if r.advanced],
            ],
        }
        if prepared is not None:
            changes["next_stage"] = [None, prepared.pk]
        events.event(
            actor,
            competition,
            Action.CONTESTS_ADVANCE_CONFIRM,
            obj=stage,
            changes=changes,
            post_id=grant.post_id,
        )
        events.board_changed(competition)
    return stage


NOT_PREPARED = (Stage.Kind.CHALLENGE, Stage.Kind.SEEDING)


def _prepare_next(stage: Stage, going: list[Entrant]) -> Stage | None:
    """The next stage's entries, when it is a plain round not yet prepared: one match
    ``A`` holding the advancers (``going``: those who have not withdrawn). Not a challenge (the referee pairs challengers with seeds)
    nor the seeds' review, whose entrants are the nominated ones, not the selection's
    advancers (the two run side by side before the challenges)."""
    following = selectors.next_stage(stage)
    if following is None or following.kind in NOT_PREPARED or not going:
        return None
    if StageEntry.objects.filter(stage=following).exists():
        return None
    match, _ = Match.objects.get_or_create(stage=following, code=NEXT_MATCH)
    StageEntry.objects.bulk_create(
        StageEntry(stage=following, entrant=entrant, match=match) for entrant in going
    )
    return following


# --- Titles, nomination awards, the studio offer -------------------------------------------------


def _check_honours(actor, programme: Programme, *, nominees: bool) -> None:
    kind, problem = selectors.honour_problem(actor, programme, nominees=nominees)
    if kind == "missing":
        raise Conflict(problem)
    if kind == "forbidden":
        raise Forbidden(problem)


def _award(actor, competition: Competition, titled, nominees, *, post_id, extra=None) -> dict:
    """The awards of one competition: registry awards (title, nomination), statuses, the
    studio offer to each title winner's employer without one; its event."""
    programme = competition.programme
    for entrant in [*titled, *nominees]:
        if not access.can_at(actor, "registry.view", entrant.person.org_unit):
            raise Forbidden(
                f"{records.entrant_key(entrant.number)}号参赛人的档案不在您的档案管理范围内，"
                "请由上级工会评定称号"
            )
    awards, studios = [], []
    source = selectors.studio_source(competition)
    grant_fen, grant_years = selectors.STUDIO_GRANT_FEN, selectors.STUDIO_GRANT_YEARS
    batch = f"第{programme.edition}届"
    for entrant in titled:
        awards.append(
            award_create(
                actor=actor,
                honour=programme.title_honour,
                person=entrant.person,
                year=programme.year,
                batch=batch,
            ).pk
        )
        studio = studio_offer(
            actor=actor,
            employer=entrant.employer,
            leader=entrant.person,
            org_unit=entrant.employer.org_unit,
            source=source,
            grant_fen_per_year=grant_fen,
            grant_years=grant_years,
        )
        if studio is not None:  # None: the employer has one offered or active already
            studios.append(studio.pk)
    for entrant in nominees:
        awards.append(
            award_create(
                actor=actor,
                honour=programme.nominee_honour,
                person=entrant.person,
                year=programme.year,
                batch=batch,
            ).pk
        )
    Entrant.objects.filter(pk__in=[e.pk for e in titled]).update(status=Entrant.Status.TITLED)
    Entrant.objects.filter(pk__in=[e.pk for e in nominees]).update(status=Entrant.Status.NOMINEE)
    competition.status = Competition.Status.FINISHED
    competition.save(update_fields=["status"])
    changes = {
        "titles": [None, [records.entrant_key(e.number) for e in titled]],
        "nominees": [None, [records.entrant_key(e.number) for e in nominees]],
        "awards": [None, awards],
        "studios": [None, studios],
        **(extra or {}),
    }
    events.event(
        actor,
        competition,
        Action.CONTESTS_TITLES_AWARD,
        obj=competition,
        changes=changes,
        post_id=post_id,
    )
    events.board_changed(competition)
    events.milestone(competition, "称号评定")
    return changes


def titles_award(*, actor, competition: Competition) -> dict | None:
    """Titles and nomination awards of one competition by its last stage's places (see the
    module's decisions). Returns what was awarded, or None when it was already."""
    grant = events.allowed(actor, competition, "contests.manage")
    with transaction.atomic():
        competition = events.locked(competition)
        programme = competition.programme
        if programme.compare_trades:
            raise Conflict("本项目跨工种比较成绩，称号须在项目层面统一评定")
        if selectors.awarded_entrants([competition.pk]).exists():
            return None
        stage = selectors.last_stage(competition)
        ready = selectors.titles_ready(competition, stage)
        if ready:
            raise Conflict(ready)
        titled, nominees = selectors.title_places(competition, stage)
        if not titled:
            raise Conflict("最后一个赛段没有成绩，不能评定称号")
        _check_honours(actor, programme, nominees=bool(nominees))
        return _award(
            actor,
            competition,
            [r.entrant for r in titled],
            [r.entrant for r in nominees],
            post_id=grant.post_id,
        )


def programme_titles_award(*, actor, programme: Programme) -> dict | None:
    """Titles of a programme that compares trades (跨工种比较): each competition's last
    stage scores are standardised within its trade (``engine.standardised``: T scores), and
    all finalists ranked on them; the programme's quotas are the sums of its competitions'.
    One event in each competition's stream, with the T scores. None when already awarded."""
    grant = access.require_at(
        actor, "contests.manage", programme.org_unit, view_perm="contests.view"
    )
    with transaction.atomic():
        competitions = [events.locked(c) for c in programme.competitions.order_by("pk").only("pk")]
        if not programme.compare_trades:
            raise Conflict("本项目不跨工种比较，请在各工种竞赛中评定称号")
        if not competitions:
            raise Conflict("本项目没有工种竞赛")
        if selectors.awarded_entrants([c.pk for c in competitions]).exists():
            return None
        finals: dict[int, list] = {}
        for competition in competitions:
            stage = selectors.last_stage(competition)
            ready = selectors.titles_ready(competition, stage)
            if ready:
                raise Conflict(f"{competition.name}：{ready}")
            finals[competition.pk] = list(selectors.current_results(stage))
        t_scores = engine.standardised(
            {
                pk: [
                    {"entrant": records.entrant_key(r.entrant.number), "score": r.score}
                    for r in results
                ]
                for pk, results in finals.items()
            }
        )
        places = rank({key: {"t": t} for key, t in t_scores.items()}, [("t", "desc")])
        n_titles = sum(c.titles for c in competitions)
        n_nominees = sum(c.nominee_awards for c in competitions)
        place_of = dict(places)
        if not places:
            raise Conflict("各工种最后一个赛段都没有成绩，不能评定称号")
        _check_honours(
            actor,
            programme,
            nominees=any(n_titles < p <= n_titles + n_nominees for _, p in places),
        )
        awarded = {}
        for competition in competitions:
            titled, nominees, ranks = [], [], []
            for r in finals[competition.pk]:
                key = (competition.pk, records.entrant_key(r.entrant.number))
                place = place_of[key]
                ranks.append([key[1], t_scores[key], place])
                if place <= n_titles:
                    titled.append(r.entrant)
                elif place <= n_titles + n_nominees:
                    nominees.append(r.entrant)
            awarded[competition.pk] = _award(
                actor,
                competition,
                titled,
                nominees,
                post_id=grant.post_id,
                extra={"standardised": [None, sorted(ranks, key=lambda x: (x[2], x[0]))]},
            )
        return awarded
