"""Every write of setting a contest up: a programme, its competitions (one per trade, with
the stages of the programme's kind, ``defaults.py``), opening registration, the rules
document, a stage's scheme and rule, the judge pool, a declared recusal.

Each runs in one transaction with its audit event: a programme's and a judge's in the
platform stream (a programme has no stream of its own), everything of a competition in the
competition's own stream (``contest:<id>``, ``events.event``)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.common.forms import clean_text
from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.contests import engine, events
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Mark,
    Programme,
    Recusal,
    Stage,
    StageEntry,
)
from gonghui.contests.records import entrant_key, judge_key
from gonghui.contests.setup import defaults
from gonghui.contests.setup.selectors import judge_public_key
from gonghui.files.services import attachment_store
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Trade, Unit
from gonghui.registry.models import Honour

MAX_PLACES = 100  # titles or nomination awards of one competition
MAX_APPEAL_MINUTES = 7 * 24 * 60
STAFF_JUDGES = (Judge.Kind.EXPERT, Judge.Kind.CHIEF, Judge.Kind.ARBITER)


def _manage_programme(actor, programme: Programme):
    return access.require_at(
        actor, "contests.manage", programme.org_unit, view_perm="contests.view"
    )


def _number(value, field: str, label: str, low: int, high: int, errors: dict) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = f"{label}应为 {low}–{high} 的整数"


# --- Programmes ------------------------------------------------------------------------------


def programme_create(
    *,
    actor,
    org_unit: OrgUnit,
    name: str,
    year: int,
    edition: int = 1,
    kind: str,
    compare_trades: bool = False,
    title_honour: Honour | None = None,
    nominee_honour: Honour | None = None,
    description: str = "",
) -> Programme:
    """A title programme (北京大工匠 edition N) or a district contest, organised at
    ``org_unit``. The honours it confers must be individual honours managed at that union
    (the registry's rule for who may award them)."""
    grant = access.require_at(actor, "contests.manage", org_unit, view_perm="contests.view")
    errors: dict[str, str] = {}
    name = clean_text(name, "name", "名称", 120, errors)
    description = clean_text(description, "description", "说明", 5000, errors, required=False)
    _number(year, "year", "年度", FIRST_YEAR, LAST_YEAR, errors)
    _number(edition, "edition", "届次", 1, 1000, errors)
    if kind not in Programme.Kind.values:
        errors["kind"] = "请选择工匠选树（挑战赛）或技能竞赛（单轮）"
    for field, honour in (("title_honour", title_honour), ("nominee_honour", nominee_honour)):
        if honour is None:
            continue
        if honour.subject != Honour.Subject.INDIVIDUAL:
            errors[field] = f"“{honour.name}”是集体荣誉，竞赛只授予个人荣誉"
        elif honour.conferring_unit_id != org_unit.pk:
            errors[field] = f"“{honour.name}”不由{org_unit.name}管理，本项目不能授予"
    if title_honour is not None and nominee_honour is not None and title_honour == nominee_honour:
        errors["nominee_honour"] = "提名奖应与称号不同"
    if errors:
        raise ValidationFailed(errors)
    taken = ValidationFailed(
        {"name": f"{org_unit.name}{year} 年第 {edition} 届已有同名项目“{name}”，请勿重复设立"}
    )
    with transaction.atomic():
        if Programme.objects.filter(
            org_unit=org_unit, year=year, edition=edition, name=name
        ).exists():
            raise taken
        try:
            with transaction.atomic():  # the unique constraint decides a double submit
                programme = Programme.objects.create(
                    org_unit=org_unit,
                    name=name,
                    year=year,
                    edition=edition,
                    kind=kind,
                    compare_trades=bool(compare_trades),
                    title_honour=title_honour,
                    nominee_honour=nominee_honour,
                    description=description,
                    created_by=actor,
                )
        except IntegrityError:
            raise taken from None
        record(
            actor=actor,
            action=Action.CONTESTS_PROGRAMME_CREATE,
            obj=programme,
            org_unit_id=org_unit.pk,
            post_id=grant.post_id,
            changes={
                "name": [None, name],
                "year": [None, year],
                "edition": [None, edition],
                "kind": [None, kind],
                "compare_trades": [None, bool(compare_trades)],
                "title_honour": [None, title_honour.code if title_honour else None],
                "nominee_honour": [None, nominee_honour.code if nominee_honour else None],
            },
        )
    return programme


# --- Competitions --------------------------------------------------------------------------


def competition_create(
    *,
    actor,
    programme: Programme,
    trade: Trade,
    registration_opens_at: datetime,
    registration_closes_at: datetime,
    name: str = "",
    venue: str = "",
    timetable: str = "",
    titles: int = 1,
    nominee_awards: int = 0,
) -> Competition:
    """One trade's competition of ``programme`` (one per trade), with the stages of the
    programme's kind and their default schemes and rules (``defaults.py``)."""
    grant = _manage_programme(actor, programme)
    errors: dict[str, str] = {}
    name = (
        clean_text(name, "name", "名称", 120, errors, required=False)
        or (f"{programme.name}·{trade.name}"[:120])
    )
    venue = clean_text(venue, "venue", "比赛场地", 200, errors, required=False)
    timetable = clean_text(timetable, "timetable", "日程", 5000, errors, required=False)
    _number(titles, "titles", "称号名额", 0, MAX_PLACES, errors)
    _number(nominee_awards, "nominee_awards", "提名奖名额", 0, MAX_PLACES, errors)
    if registration_closes_at <= registration_opens_at:
        errors["registration_closes_at"] = "报名截止时间应晚于报名开始时间"
    for field, moment in (
        ("registration_opens_at", registration_opens_at),
        ("registration_closes_at", registration_closes_at),
    ):
        if not FIRST_YEAR <= timezone.localtime(moment).year <= LAST_YEAR:
            errors[field] = f"时间应在 {FIRST_YEAR}–{LAST_YEAR} 年之间"
    if errors:
        raise ValidationFailed(errors)
    taken = ValidationFailed({"trade": f"本项目已有{trade.name}竞赛，每个工种只设一项竞赛"})
    with transaction.atomic():
        # The programme's row serialises competitions of one programme: two staff adding
        # the same trade at once get one competition and one clear refusal.
        Programme.objects.select_for_update().filter(pk=programme.pk).first()
        if Competition.objects.filter(programme=programme, trade=trade).exists():
            raise taken
        try:
            with transaction.atomic():
                competition = Competition.objects.create(
                    programme=programme,
                    org_unit_id=programme.org_unit_id,
                    trade=trade,
                    name=name,
                    venue=venue,
                    timetable=timetable,
                    registration_opens_at=registration_opens_at,
                    registration_closes_at=registration_closes_at,
                    titles=titles,
                    nominee_awards=nominee_awards,
                )
        except IntegrityError:
            raise taken from None
        plan = defaults.stages_for(programme.kind, titles=titles, nominee_awards=nominee_awards)
        Stage.objects.bulk_create(Stage(competition=competition, **stage) for stage in plan)
        ids = dict(Stage.objects.filter(competition=competition).values_list("order", "pk"))
        events.event(
            actor,
            competition,
            Action.CONTESTS_COMPETITION_CREATE,
            post_id=grant.post_id,
            changes={
                "programme": [None, programme.pk],
                "trade": [None, trade.code],
                "name": [None, name],
                "registration_opens_at": [None, registration_opens_at.isoformat()],
                "registration_closes_at": [None, registration_closes_at.isoformat()],
                "titles": [None, titles],
                "nominee_awards": [None, nominee_awards],
                "stages": [
                    None,
                    [
                        {
                            "id": ids[s["order"]],
                            "order": s["order"],
                            "kind": s["kind"],
                            "name": s["name"],
                            "scheme_version": 1,
                            "scheme": s["scheme"],
                            "rule": s["rule"],
                        }
                        for s in plan
                    ],
                ],
            },
        )
    return competition


def competition_open(*, actor, competition: Competition) -> Competition:
    """Draft → open: registration is possible (between its opening and its close).
    Refused without the rules document (registration's close locks the rules: a
    competition opened without them would be locked without them for good) and once the
    registration's close has passed (nobody could register)."""
    grant = events.allowed(actor, competition, "contests.manage")
    with transaction.atomic():
        competition = events.locked(competition)
        if competition.status != Competition.Status.DRAFT:
            raise Conflict(f"竞赛当前为“{competition.get_status_display()}”，不能再开放报名")
        if not competition.stages.exists():
            raise Conflict("竞赛没有赛段，不能开放报名")
        if not competition.rules_sha256:
            raise Conflict("尚未上传竞赛规程：请先上传规程再开放报名（报名截止时规程随之锁定）")
        if competition.registration_closes_at <= timezone.now():
            raise Conflict("报名截止时间已过，不能再开放报名")
        competition.status = Competition.Status.OPEN
        competition.save(update_fields=["status"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_COMPETITION_OPEN,
            post_id=grant.post_id,
            changes={"status": ["draft", "open"]},
        )
        events.board_changed(competition)  # its public board exists from now on
    return competition


def competition_rules_upload(*, actor, competition: Competition, upload) -> Competition:
    """The rules document (竞赛规程): stored as an attachment of the competition, its
    SHA-256 and name kept on the competition. Once registration has closed the rules are
    locked (``rules_locked_at``) and cannot be replaced."""
    grant = events.allowed(actor, competition, "contests.manage")
    with transaction.atomic():
        competition = events.locked(competition)
        if competition.rules_locked_at is not None:
            raise Conflict(
                f"竞赛规程已于报名截止时锁定（SHA-256：{competition.rules_sha256}），不能更换"
            )
        attachment = attachment_store(
            owner=competition,
            org_unit=competition.org_unit,
            upload=upload,
            actor=actor,
            post_id=grant.post_id,
        )
        before = (competition.rules_sha256 or None, competition.rules_name or None)
        competition.rules_sha256 = attachment.sha256
        competition.rules_name = attachment.name
        competition.save(update_fields=["rules_sha256", "rules_name"])
        events.event(
            actor,
            competition,
            Action.CONTESTS_RULES_UPLOAD,
            post_id=grant.post_id,
            changes={
                "rules_sha256": [before[0], attachment.sha256],
                "rules_name": [before[1], attachment.name],
                "attachment": [None, attachment.pk],
            },
        )
    return competition


# --- Stages ----------------------------------------------------------------------------------


def _problems_text(problems: dict[str, str]) -> str:
    return "；".join(f"{where}：{message}" for where, message in problems.items())


def _fixed(stage: Stage) -> None:
    """Refuse a change to a stage whose marking has started."""
    if stage.status != Stage.Status.PLANNED or Mark.objects.filter(stage=stage).exists():
        raise Conflict(
            f"赛段“{stage.name}”当前为“{stage.get_status_display()}”："
            "评分开始后评分规则与晋级规则已固定，不能修改"
        )


def stage_update(
    *,
    actor,
    stage: Stage,
    name: str,
    scheme,
    rule,
    starts_at: datetime | None = None,
    votes_open_at: datetime | None = None,
    votes_close_at: datetime | None = None,
    appeal_minutes: int = 120,
) -> Stage:
    """A stage's name, marking scheme, advancing rule, times and appeal window, while the
    stage is still planned (the scheme is fixed once marking starts). The scheme and the
    rule are checked by the engine (``scheme_problems``, ``rule_problems``); a change of
    either raises ``scheme_version``, which every result names."""
    competition = stage.competition
    grant = events.allowed(actor, competition, "contests.manage")
    _fixed(stage)  # read again under the row's lock below
    errors: dict[str, str] = {}
    name = clean_text(name, "name", "赛段名称", 60, errors)
    scheme_errors = engine.scheme_problems(scheme)
    if scheme_errors:
        errors["scheme"] = _problems_text(scheme_errors)
    rule_errors = engine.rule_problems(rule)
    if rule_errors:
        errors["rule"] = _problems_text(rule_errors)
    _number(appeal_minutes, "appeal_minutes", "申诉时限（分钟）", 1, MAX_APPEAL_MINUTES, errors)
    public = not scheme_errors and engine.has_public(scheme)
    if (votes_open_at is None) != (votes_close_at is None):
        field = "votes_close_at" if votes_close_at is None else "votes_open_at"
        errors[field] = "投票开始与截止时间应同时填写"
    elif votes_open_at is not None:
        if votes_close_at <= votes_open_at:
            errors["votes_close_at"] = "投票截止时间应晚于投票开始时间"
        elif not scheme_errors and not public:
            errors["votes_open_at"] = "本赛段评分规则没有大众评委评分，不设投票时间"
        elif starts_at is not None and votes_open_at < starts_at:
            errors["votes_open_at"] = "投票开始时间不应早于赛段开始时间"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        stage = Stage.objects.select_for_update().get(pk=stage.pk)
        _fixed(stage)
        new = {
            "name": name,
            "scheme": scheme,
            "rule": rule,
            "starts_at": starts_at,
            "votes_open_at": votes_open_at,
            "votes_close_at": votes_close_at,
            "appeal_minutes": appeal_minutes,
        }
        changes = {}
        for field, value in new.items():
            old = getattr(stage, field)
            if old != value:
                shown = (
                    (lambda v: v.isoformat() if v is not None else None)
                    if field.endswith("_at")
                    else (lambda v: v)
                )
                changes[field] = [shown(old), shown(value)]
                setattr(stage, field, value)
        if "scheme" in changes or "rule" in changes:
            changes["scheme_version"] = [stage.scheme_version, stage.scheme_version + 1]
            stage.scheme_version += 1
        stage.save()
        events.event(
            actor,
            competition,
            Action.CONTESTS_STAGE_UPDATE,
            obj=stage,
            post_id=grant.post_id,
            changes={"stage": [None, stage.pk], **changes},
        )
    return stage


# --- The judge pool and recusals -------------------------------------------------------------


def judge_add(
    *,
    actor,
    programme: Programme,
    kind: str,
    name: str,
    employer: Unit | None = None,
    trade: Trade | None = None,
    user=None,
) -> Judge:
    """An expert (裁判), a chief referee (裁判长) or an arbiter (仲裁组成员) of the
    programme's pool (public jurors are recruited by the jury's own procedure). ``user``:
    the account the judge signs in with to mark; one judge row per account and programme.
    The employer decides recusal by employer and the one-per-employer rule of panels."""
    grant = _manage_programme(actor, programme)
    errors: dict[str, str] = {}
    if kind not in STAFF_JUDGES:
        errors["kind"] = (
            "大众评委通过大众评委招募登记"
            if kind == Judge.Kind.PUBLIC
            else "请选择专家裁判、裁判长或仲裁组成员"
        )
    name = clean_text(name, "name", "姓名", 60, errors)
    if user is not None and not user.is_active:
        errors["user"] = "该账号已停用"
    if errors:
        raise ValidationFailed(errors)
    taken = ValidationFailed({"user": "该账号已是本项目的评委，每个账号在一个项目中只登记一次"})
    with transaction.atomic():
        # The programme's row serialises additions to its pool: a double submit of a judge
        # without an account (nothing unique in the table) is refused as the same judge.
        Programme.objects.select_for_update().filter(pk=programme.pk).first()
        if user is not None and Judge.objects.filter(programme=programme, user=user).exists():
            raise taken
        if (
            user is not None
            and Entrant.objects.filter(competition__programme=programme)
            .filter(Q(person__user=user) | Q(person__merged_into__user=user))
            .exists()
        ):
            raise ValidationFailed({"user": "该账号本人是本项目的参赛人，不能担任本项目评委"})
        if (
            user is None
            and Judge.objects.filter(
                programme=programme, kind=kind, name=name, employer=employer, user__isnull=True
            ).exists()
        ):
            raise ValidationFailed(
                {"name": f"评委库中已有同一单位的{name}（未关联账号），请勿重复登记"}
            )
        try:
            with transaction.atomic():
                judge = Judge.objects.create(
                    programme=programme,
                    kind=kind,
                    name=name,
                    employer=employer,
                    trade=trade,
                    user=user,
                )
        except IntegrityError:
            raise taken from None
        record(
            actor=actor,
            action=Action.CONTESTS_JUDGE_ADD,
            obj=judge,
            org_unit_id=programme.org_unit_id,
            post_id=grant.post_id,
            changes={
                "programme": [None, programme.pk],
                "judge": [None, judge_key(judge.pk)],
                "kind": [None, kind],
                "name": [None, name],
                "employer": [None, f"u{employer.pk}" if employer else None],
                "trade": [None, trade.code if trade else None],
                "user": [None, user.pk if user else None],
            },
        )
    return judge


def recusal_declare(*, actor, judge: Judge, entrant: Entrant, note: str) -> Recusal:
    """A relationship the judge declares with an entrant (回避, Recusal DECLARED): from then
    on the database refuses the judge's marks and votes on that entrant, and panel draws
    pass the judge over for the entrant's matches. The judge themself (their account) or
    the competition's ``contests.manage`` staff declare it; refused once the judge has
    marked that entrant (that is a matter for arbitration)."""
    competition = entrant.competition
    post_id = None
    if actor is None or judge.user_id is None or actor.pk != judge.user_id:
        post_id = events.allowed(actor, competition, "contests.manage").post_id
    errors: dict[str, str] = {}
    if judge.programme_id != competition.programme_id:
        errors["entrant"] = "该参赛人不属于此评委所在的项目"
    note = clean_text(note, "note", "申报的关系", 200, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        # The entrant's places in every stage first, the rows a mark locks before it is
        # written (judging's mark_submit): a mark in flight is committed before we look
        # for it, and a mark after us finds the recusal (the database refuses it).
        list(
            StageEntry.objects.select_for_update()
            .filter(entrant=entrant)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        judge = Judge.objects.select_for_update().get(pk=judge.pk)
        if Mark.objects.filter(judge=judge, entrant=entrant).exists():
            raise Conflict("该评委已对该参赛人评分，不能再申报回避；如有异议请提请仲裁")
        if Recusal.objects.filter(judge=judge, entrant=entrant).exists():
            raise Conflict("该评委对该参赛人已登记回避")
        recusal = Recusal.objects.create(
            judge=judge, entrant=entrant, reason=Recusal.Reason.DECLARED, note=note
        )
        events.event(
            actor,
            competition,
            Action.CONTESTS_RECUSAL,
            obj=recusal,
            post_id=post_id,
            changes={
                "judge": [None, judge_public_key(judge)],
                "entrant": [None, entrant_key(entrant.number)],
                "reason": [None, Recusal.Reason.DECLARED.value],
            },
        )
    return recusal
