"""宣讲团、工会主席接待日与联盟: every write.

Each runs in one transaction with its audit event. Bureaus, reception days and alliances
are kept by ``training.manage`` at their union; a talk is booked and reported by
``training.apply`` at the booking union, from a bureau of that union or one above it; a
problem raised at a reception day is answered by ``training.apply`` at the union it is
assigned to (in the organiser's subtree), due in working days (``TRAINING_PROBLEM_DAYS``,
counted from the day after it is raised), and closed by the organiser once the enterprise
was told. State changes are conditional updates on the state read, so two clicks at once
make one change."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import workdays
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.common.forms import clean_text
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, path_contains
from gonghui.people.models import Person, Unit
from gonghui.registry.models import Award, Studio
from gonghui.training.models import (
    Alliance,
    AllianceActivity,
    AllianceMember,
    Problem,
    Speaker,
    SpeakerTeam,
    Talk,
    Visit,
)
from gonghui.training.outreach.selectors import ACTIVITY_KINDS, model_worker_q

MANAGE, APPLY, VIEW = "training.manage", "training.apply", "training.view"
MAX_EXPECTED = 100_000  # nobody books a talk for more listeners than a stadium holds
MAX_DAYS = 60  # a problem's deadline in working days: three months at most


def _manage(actor, unit: OrgUnit):
    """The post allowing ``training.manage`` at ``unit``; Forbidden to whoever sees what is
    kept there (its subtree's staff, and the unions below it, who book its bureau), NotFound
    to the rest."""
    grant = access.grant_at(actor, MANAGE, unit)
    if grant is not None:
        return grant
    if unit.path in access.post_ancestors(actor, VIEW) or access.can_at(actor, VIEW, unit):
        raise Forbidden()
    raise NotFound()


def _day(value, field: str, label: str, errors: dict) -> date | None:
    if not isinstance(value, date):
        errors[field] = f"请填写{label}（年-月-日）"
        return None
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        errors[field] = f"{label}应在 2000 年至 2100 年之间"
        return None
    return value


def _count(value, field: str, label: str, errors: dict, *, limit: int = MAX_EXPECTED) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = f"{label}应为整数"
        return 0
    if value < 0:
        errors[field] = f"{label}不能为负数"
    elif value > limit:
        errors[field] = f"{label}不能超过 {limit}"
    return value


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


# --- Bureaus ---------------------------------------------------------------------------------

TEAM_FIELDS = ("name", "founded_on", "description")


def _named_data(data: dict, errors: dict, label: str) -> dict:
    """A bureau's or an alliance's name (``label``), description and founding day."""
    clean = {
        "name": clean_text(data.get("name"), "name", label, 120, errors),
        "description": clean_text(
            data.get("description"), "description", "简介", 2000, errors, required=False
        ),
        "founded_on": data.get("founded_on"),
    }
    if clean["founded_on"] is not None:
        founded = _day(clean["founded_on"], "founded_on", "成立日期", errors)
        if founded and founded > workdays.today():
            errors["founded_on"] = "成立日期不能晚于今天"
    return clean


def team_create(
    *, actor, org_unit: OrgUnit, name: str, founded_on: date | None = None, description: str = ""
) -> SpeakerTeam:
    """A speakers' bureau of ``org_unit``: by ``training.manage`` there."""
    grant = _manage(actor, org_unit)
    errors: dict[str, str] = {}
    data = _named_data(
        {"name": name, "founded_on": founded_on, "description": description}, errors, "宣讲团名称"
    )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        team = SpeakerTeam.objects.create(org_unit=org_unit, **data)
        record(
            actor=actor,
            action=Action.TRAINING_TEAM_CREATE,
            obj=team,
            changes={k: [None, _plain(v)] for k, v in data.items()},
            post_id=grant.post_id,
        )
    return team


def team_update(*, actor, team: SpeakerTeam, **changes) -> SpeakerTeam:
    """Change a bureau's name, founding date, description."""
    grant = _manage(actor, team.org_unit)
    unknown = set(changes) - set(TEAM_FIELDS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: "该项不能修改"})
    errors: dict[str, str] = {}
    with transaction.atomic():
        team = SpeakerTeam.objects.select_for_update().get(pk=team.pk)
        before = {f: getattr(team, f) for f in TEAM_FIELDS}
        data = _named_data(before | changes, errors, "宣讲团名称")
        if errors:
            raise ValidationFailed(errors)
        diff = {f: [_plain(before[f]), _plain(v)] for f, v in data.items() if before[f] != v}
        for field, value in data.items():
            setattr(team, field, value)
        team.save(update_fields=list(TEAM_FIELDS))
        record(
            actor=actor,
            action=Action.TRAINING_TEAM_UPDATE,
            obj=team,
            changes=diff,
            post_id=grant.post_id,
        )
    return team


def speaker_add(*, actor, team: SpeakerTeam, person: Person, topics: str = "") -> Speaker:
    """Add a registry person holding an active honour (in the bureau's union's subtree and
    the actor's scope) to ``team`` with the topics they speak on; a speaker removed
    earlier comes back."""
    grant = _manage(actor, team.org_unit)
    errors: dict[str, str] = {}
    topics = clean_text(topics, "topics", "宣讲题目", 300, errors)
    if (
        person.merged_into_id
        or not path_contains(team.org_unit.path, person.org_unit.path)
        or not access.can_at(actor, MANAGE, person.org_unit)
    ):
        errors["person"] = "只能选择本宣讲团所在工会范围内的人员"
    elif not Award.objects.filter(person=person, status=Award.Status.ACTIVE).exists():
        errors["person"] = f"{person.name} 没有有效的荣誉记录，宣讲员应为劳模、工匠等荣誉获得者"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        speaker, made = Speaker.objects.select_for_update().get_or_create(
            team=team, person=person, defaults={"topics": topics}
        )
        if not made:
            if speaker.active:
                raise ValidationFailed({"person": f"{person.name} 已是本宣讲团的宣讲员"})
            speaker.active, speaker.topics = True, topics
            speaker.save(update_fields=["active", "topics"])
        record(
            actor=actor,
            action=Action.TRAINING_SPEAKER_ADD,
            obj=speaker,
            org_unit_id=team.org_unit_id,
            changes={"person": [None, person.pk], "topics": [None, topics]},
            post_id=grant.post_id,
        )
    return speaker


def speaker_remove(*, actor, speaker: Speaker) -> Speaker:
    """Take a speaker off the bureau (kept on record: their talks name them). Talks
    arranged for them and not yet given must be reassigned or cancelled first."""
    team = speaker.team
    grant = _manage(actor, team.org_unit)
    with transaction.atomic():
        if speaker.talks.filter(status=Talk.Status.CONFIRMED).exists():
            raise Conflict("该宣讲员还有已安排未举行的宣讲，请先取消或改派后再移出")
        if not Speaker.objects.filter(pk=speaker.pk, active=True).update(active=False):
            raise Conflict("该宣讲员已移出")
        speaker.active = False
        record(
            actor=actor,
            action=Action.TRAINING_SPEAKER_REMOVE,
            obj=speaker,
            org_unit_id=team.org_unit_id,
            changes={"active": [True, False]},
            post_id=grant.post_id,
        )
    return speaker


# --- Talks -----------------------------------------------------------------------------------


def talk_book(
    *,
    actor,
    team: SpeakerTeam,
    org_unit: OrgUnit,
    on: date,
    topic: str,
    place: str = "",
    audience: str = "",
    expected: int = 0,
) -> Talk:
    """A unit books a talk from ``team``: by ``training.apply`` at the booking union
    ``org_unit``, from a bureau of that union or one above it; the date not in the past."""
    grant = access.grant_at(actor, APPLY, org_unit)
    if grant is None:
        raise NotFound()
    errors: dict[str, str] = {}
    if not path_contains(team.org_unit.path, org_unit.path):
        errors["team"] = "只能预约本级或上级工会的宣讲团"
    on = _day(on, "on", "宣讲日期", errors)
    if on and on < workdays.today():
        errors["on"] = "宣讲日期不能早于今天"
    topic = clean_text(topic, "topic", "宣讲题目", 200, errors)
    place = clean_text(place, "place", "地点", 120, errors)
    audience = clean_text(audience, "audience", "听众", 200, errors, required=False)
    expected = _count(expected, "expected", "预计人数", errors)
    if errors:
        raise ValidationFailed(errors)
    data = {
        "on": on,
        "topic": topic,
        "place": place,
        "audience": audience,
        "expected": expected,
    }
    with transaction.atomic():
        talk = Talk.objects.create(team=team, org_unit=org_unit, booked_by=actor, **data)
        record(
            actor=actor,
            action=Action.TRAINING_TALK_BOOK,
            obj=talk,
            changes={"team": [None, team.pk], **{k: [None, _plain(v)] for k, v in data.items()}},
            post_id=grant.post_id,
        )
    return talk


def _move(talk, before: tuple[str, ...], **fields) -> bool:
    """Change a talk still in one of ``before`` states; whether this call changed it."""
    return bool(Talk.objects.filter(pk=talk.pk, status__in=before).update(**fields))


def talk_confirm(*, actor, talk: Talk, speaker: Speaker) -> Talk:
    """The bureau's union arranges a booked talk and names its speaker (one of the bureau's
    speakers); a confirmed talk may be given another speaker the same way."""
    grant = _manage(actor, talk.team.org_unit)
    if speaker is None or speaker.team_id != talk.team_id or not speaker.active:
        raise ValidationFailed({"speaker": "请选择本宣讲团在册的宣讲员"})
    if talk.on < workdays.today():
        raise Conflict("宣讲日期已过，不能再安排")
    with transaction.atomic():
        before = talk.speaker_id
        if not _move(
            talk,
            (Talk.Status.REQUESTED, Talk.Status.CONFIRMED),
            status=Talk.Status.CONFIRMED,
            speaker=speaker,
        ):
            raise Conflict("该宣讲已完成或已取消，不能再安排")
        talk.refresh_from_db()
        record(
            actor=actor,
            action=Action.TRAINING_TALK_CONFIRM,
            obj=talk,
            changes={"status": [None, talk.status], "speaker": [before, speaker.pk]},
            post_id=grant.post_id,
        )
    return talk


def talk_cancel(*, actor, talk: Talk, reason: str) -> Talk:
    """Cancel a talk not yet given, saying why: by the bureau's union or the booking
    union."""
    grant = access.grant_at(actor, MANAGE, talk.team.org_unit) or access.grant_at(
        actor, APPLY, talk.org_unit
    )
    if grant is None:
        raise NotFound()
    errors: dict[str, str] = {}
    reason = clean_text(reason, "reason", "取消原因", 200, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        before = talk.status
        if not _move(
            talk,
            (Talk.Status.REQUESTED, Talk.Status.CONFIRMED),
            status=Talk.Status.CANCELLED,
            cancel_reason=reason,
        ):
            raise Conflict("该宣讲已完成或已取消")
        talk.refresh_from_db()
        record(
            actor=actor,
            action=Action.TRAINING_TALK_CANCEL,
            obj=talk,
            changes={"status": [before, talk.status], "cancel_reason": [None, reason]},
            post_id=grant.post_id,
        )
    return talk


def talk_report(*, actor, talk: Talk, attendance: int) -> Talk:
    """After the talk (on its date or later) the booking union reports how many came."""
    grant = access.grant_at(actor, APPLY, talk.org_unit)
    if grant is None:
        raise NotFound()
    errors: dict[str, str] = {}
    attendance = _count(attendance, "attendance", "实到人数", errors)
    if not errors and talk.on > workdays.today():
        errors["attendance"] = f"宣讲日期（{talk.on:%Y-%m-%d}）之后才能填报实到人数"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        if not _move(
            talk, (Talk.Status.CONFIRMED,), status=Talk.Status.DONE, attendance=attendance
        ):
            raise Conflict("只有已安排宣讲员且尚未填报的宣讲才能填报实到人数")
        talk.refresh_from_db()
        record(
            actor=actor,
            action=Action.TRAINING_TALK_REPORT,
            obj=talk,
            changes={
                "status": [Talk.Status.CONFIRMED, talk.status],
                "attendance": [None, attendance],
            },
            post_id=grant.post_id,
        )
    return talk


# --- Reception days ---------------------------------------------------------------------------

STAGE_ORDER = [Visit.Stage.VISIT, Visit.Stage.FORUM, Visit.Stage.SOLVE, Visit.Stage.DONE]


def visit_create(
    *,
    actor,
    org_unit: OrgUnit,
    enterprise: Unit,
    on: date,
    participants: str = "",
    notes: str = "",
) -> Visit:
    """A chairmen's reception day of ``org_unit`` at ``enterprise`` (in its subtree), at
    stage 走访."""
    grant = _manage(actor, org_unit)
    errors: dict[str, str] = {}
    if not path_contains(org_unit.path, enterprise.org_unit.path):
        errors["enterprise"] = "只能走访本工会范围内的企业"
    on = _day(on, "on", "接待日日期", errors)
    if on and on > workdays.today() + timedelta(days=366):
        errors["on"] = "接待日日期不能晚于一年以后"
    participants = clean_text(participants, "participants", "参加人员", 300, errors)
    notes = clean_text(notes, "notes", "走访与座谈纪要", 8000, errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    data = {"on": on, "participants": participants, "notes": notes}
    with transaction.atomic():
        visit = Visit.objects.create(
            org_unit=org_unit, enterprise=enterprise, created_by=actor, **data
        )
        record(
            actor=actor,
            action=Action.TRAINING_VISIT_CREATE,
            obj=visit,
            changes={
                "enterprise": [None, enterprise.pk],
                **{k: [None, _plain(v)] for k, v in data.items()},
            },
            post_id=grant.post_id,
        )
    return visit


def visit_advance(*, actor, visit: Visit, to: str, notes: str = "") -> Visit:
    """Move a reception day one stage forward (走访 → 座谈 → 解决 → 已办结), never back nor
    over a stage; 已办结 only when every problem raised there is closed. ``notes`` are
    appended to the minutes."""
    grant = _manage(actor, visit.org_unit)
    errors: dict[str, str] = {}
    notes = clean_text(notes, "notes", "纪要", 4000, errors, required=False)
    if to not in Visit.Stage.values:
        errors["to"] = "请选择下一阶段"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        current = STAGE_ORDER.index(visit.stage)
        if current == len(STAGE_ORDER) - 1:
            raise Conflict("该接待日已办结")
        if STAGE_ORDER.index(to) != current + 1:
            raise ValidationFailed(
                {"to": f"只能从“{visit.get_stage_display()}”进入“{STAGE_ORDER[current + 1].label}”"}
            )
        if to == Visit.Stage.DONE:
            left = visit.problems.exclude(status=Problem.Status.CLOSED).count()
            if left:
                raise ValidationFailed({"to": f"还有 {left} 个问题未办结，不能办结接待日"})
        before = visit.stage
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        if notes:
            label = Visit.Stage(to).label
            visit.notes = f"{visit.notes}\n\n【{label} {stamp}】{notes}".strip()
        visit.stage = to
        visit.save(update_fields=["stage", "notes"])
        record(
            actor=actor,
            action=Action.TRAINING_VISIT_ADVANCE,
            obj=visit,
            changes={"stage": [before, to], **({"notes": [None, notes]} if notes else {})},
            post_id=grant.post_id,
        )
    return visit


def _due(days, errors: dict) -> tuple[date, date | None, int]:
    """The day raised (today) and its deadline ``days`` working days after it."""
    today = workdays.today()
    if days is None:
        days = settings.TRAINING_PROBLEM_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = f"办理时限应为 1 至 {MAX_DAYS} 个工作日"
        return today, None, 0
    try:
        return today, workdays.add_workdays(today + timedelta(days=1), days), days
    except workdays.CalendarMissing as exc:
        errors["days"] = exc.message
        return today, None, days


def _assignee(visit: Visit, assignee: OrgUnit, errors: dict) -> None:
    if assignee is None or not path_contains(visit.org_unit.path, assignee.path):
        errors["assignee"] = "责任单位应为本工会或其下级工会"
    elif not assignee.is_active:
        errors["assignee"] = "该工会已停用，不能交办"


def problem_raise(
    *,
    actor,
    visit: Visit,
    text: str,
    assignee: OrgUnit,
    raised_by: str = "",
    days: int | None = None,
) -> Problem:
    """A problem raised at ``visit``, assigned to a union in the organiser's subtree, due
    ``days`` working days (default ``TRAINING_PROBLEM_DAYS``) after today."""
    grant = _manage(actor, visit.org_unit)
    errors: dict[str, str] = {}
    text = clean_text(text, "text", "问题", 2000, errors)
    raised_by = clean_text(raised_by, "raised_by", "提出人", 60, errors, required=False)
    _assignee(visit, assignee, errors)
    today, due, days = _due(days, errors)
    if visit.stage == Visit.Stage.DONE:
        errors["text"] = "该接待日已办结，不能再交办问题"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        problem = Problem.objects.create(
            visit=visit,
            text=text,
            raised_by=raised_by,
            assignee=assignee,
            raised_on=today,
            due_on=due,
        )
        record(
            actor=actor,
            action=Action.TRAINING_PROBLEM_RAISE,
            obj=problem,
            org_unit_id=visit.org_unit_id,
            changes={
                "visit": [None, visit.pk],
                "text": [None, text],
                "assignee": [None, assignee.pk],
                "days": [None, days],
                "due_on": [None, due.isoformat()],
            },
            post_id=grant.post_id,
        )
    return problem


def problem_answer(*, actor, problem: Problem, answer: str) -> Problem:
    """The assignee answers an open problem (``training.apply`` at the assignee)."""
    grant = access.grant_at(actor, APPLY, problem.assignee)
    if grant is None:
        raise NotFound()
    errors: dict[str, str] = {}
    answer = clean_text(answer, "answer", "答复", 4000, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        changed = Problem.objects.filter(
            pk=problem.pk, status=Problem.Status.OPEN, assignee=problem.assignee
        ).update(
            status=Problem.Status.ANSWERED,
            answer=answer,
            answered_by=actor,
            answered_at=timezone.now(),
        )
        if not changed:
            raise Conflict("该问题已答复、已改派或已办结")
        problem.refresh_from_db()
        record(
            actor=actor,
            action=Action.TRAINING_PROBLEM_ANSWER,
            obj=problem,
            org_unit_id=problem.assignee_id,
            changes={"status": [Problem.Status.OPEN, problem.status], "answer": [None, answer]},
            post_id=grant.post_id,
        )
    return problem


def problem_close(*, actor, problem: Problem, told_how: str) -> Problem:
    """The organiser closes an answered problem once the enterprise was told of the
    outcome (``told_how``: how, required)."""
    grant = _manage(actor, problem.visit.org_unit)
    errors: dict[str, str] = {}
    told_how = clean_text(told_how, "told_how", "告知企业的方式", 120, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        changed = Problem.objects.filter(pk=problem.pk, status=Problem.Status.ANSWERED).update(
            status=Problem.Status.CLOSED, told_how=told_how, told_at=timezone.now()
        )
        if not changed:
            raise Conflict("只有已答复的问题才能办结")
        problem.refresh_from_db()
        record(
            actor=actor,
            action=Action.TRAINING_PROBLEM_CLOSE,
            obj=problem,
            org_unit_id=problem.visit.org_unit_id,
            changes={
                "status": [Problem.Status.ANSWERED, problem.status],
                "told_how": [None, told_how],
            },
            post_id=grant.post_id,
        )
    return problem


def problem_assign(
    *, actor, problem: Problem, assignee: OrgUnit, days: int | None = None, note: str = ""
) -> Problem:
    """The organiser reassigns a problem not yet closed (an answer not accepted goes back
    open) with a new deadline counted from today."""
    grant = _manage(actor, problem.visit.org_unit)
    errors: dict[str, str] = {}
    _assignee(problem.visit, assignee, errors)
    note = clean_text(note, "note", "改派说明", 200, errors, required=False)
    today, due, days = _due(days, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        current = Problem.objects.select_for_update().get(pk=problem.pk)
        if current.status == Problem.Status.CLOSED:
            raise Conflict("该问题已办结，不能改派")
        before = {
            "assignee": current.assignee_id,
            "due_on": current.due_on.isoformat(),
            "status": current.status,
            "answer": current.answer,
        }
        current.assignee, current.raised_on, current.due_on = assignee, today, due
        current.status, current.answer = Problem.Status.OPEN, ""
        current.answered_by, current.answered_at = None, None
        current.save()
        record(
            actor=actor,
            action=Action.TRAINING_PROBLEM_ASSIGN,
            obj=current,
            org_unit_id=problem.visit.org_unit_id,
            changes={
                "assignee": [before["assignee"], assignee.pk],
                "due_on": [before["due_on"], due.isoformat()],
                "status": [before["status"], current.status],
                "answer": [before["answer"] or None, None],
                "days": [None, days],
                **({"note": [None, note]} if note else {}),
            },
            post_id=grant.post_id,
        )
    return current


# --- Alliances ---------------------------------------------------------------------------------

ALLIANCE_FIELDS = ("name", "founded_on", "description")


def alliance_create(
    *,
    actor,
    org_unit: OrgUnit,
    name: str,
    kind: str,
    founded_on: date | None = None,
    description: str = "",
) -> Alliance:
    """An alliance of ``org_unit``: 劳模联盟, 创新工作室联盟 or 重点企业工会联谊会."""
    grant = _manage(actor, org_unit)
    errors: dict[str, str] = {}
    if kind not in Alliance.Kind.values:
        errors["kind"] = "请选择联盟类型"
    data = _named_data(
        {"name": name, "founded_on": founded_on, "description": description}, errors, "联盟名称"
    )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        alliance = Alliance.objects.create(org_unit=org_unit, kind=kind, **data)
        record(
            actor=actor,
            action=Action.TRAINING_ALLIANCE_CREATE,
            obj=alliance,
            changes={"kind": [None, kind], **{k: [None, _plain(v)] for k, v in data.items()}},
            post_id=grant.post_id,
        )
    return alliance


def alliance_update(*, actor, alliance: Alliance, **changes) -> Alliance:
    """Change an alliance's name, founding date, description (its kind decides its
    members, so it stays)."""
    grant = _manage(actor, alliance.org_unit)
    unknown = set(changes) - set(ALLIANCE_FIELDS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: "该项不能修改"})
    errors: dict[str, str] = {}
    with transaction.atomic():
        alliance = Alliance.objects.select_for_update().get(pk=alliance.pk)
        before = {f: getattr(alliance, f) for f in ALLIANCE_FIELDS}
        data = _named_data(before | changes, errors, "联盟名称")
        if errors:
            raise ValidationFailed(errors)
        for field, value in data.items():
            setattr(alliance, field, value)
        alliance.save(update_fields=list(ALLIANCE_FIELDS))
        record(
            actor=actor,
            action=Action.TRAINING_ALLIANCE_UPDATE,
            obj=alliance,
            changes={f: [_plain(before[f]), _plain(v)] for f, v in data.items() if before[f] != v},
            post_id=grant.post_id,
        )
    return alliance


def _member_problem(alliance: Alliance, person, studio, member_unit) -> dict[str, str]:
    """What is wrong with a would-be member of ``alliance`` (by its kind), by field."""
    given = [x for x in (person, studio, member_unit) if x is not None]
    kind = alliance.kind
    if len(given) != 1:
        return {"member": "请选择一名成员"}
    if kind == Alliance.Kind.MODEL_WORKERS:
        if person is None:
            return {"member": "劳模联盟的成员应为劳模（先进工作者）本人"}
        if person.merged_into_id or not path_contains(alliance.org_unit.path, person.org_unit.path):
            return {"member": "只能选择本联盟所在工会范围内的人员"}
        if not Person.objects.filter(model_worker_q(), pk=person.pk).exists():
            return {"member": f"{person.name} 没有有效的劳动模范或先进工作者荣誉"}
    elif kind == Alliance.Kind.STUDIOS:
        if studio is None:
            return {"member": "创新工作室联盟的成员应为创新工作室"}
        if not path_contains(alliance.org_unit.path, studio.org_unit.path):
            return {"member": "只能选择本联盟所在工会范围内的工作室"}
        if studio.status != Studio.Status.ACTIVE:
            return {"member": f"{studio.name} 尚未挂牌，不能加入联盟"}
    else:
        if member_unit is None:
            return {"member": "联谊会的成员应为企业工会"}
        if not path_contains(alliance.org_unit.path, member_unit.path):
            return {"member": "只能选择本联盟所在工会范围内的企业工会"}
        if member_unit.level != OrgUnit.Level.GRASSROOTS or not member_unit.is_active:
            return {"member": f"{member_unit.name} 不是在册的基层（企业）工会"}
    return {}


def alliance_member_add(
    *,
    actor,
    alliance: Alliance,
    person: Person | None = None,
    studio: Studio | None = None,
    member_unit: OrgUnit | None = None,
    joined_on: date | None = None,
) -> AllianceMember:
    """Add one member of the alliance's kind: a model worker (劳模联盟), an active studio
    (创新工作室联盟) or an enterprise union (联谊会), within the alliance's union."""
    grant = _manage(actor, alliance.org_unit)
    errors = _member_problem(alliance, person, studio, member_unit)
    joined_on = joined_on or workdays.today()
    if "member" not in errors:
        candidate = person or studio or member_unit
        unit = candidate if isinstance(candidate, OrgUnit) else candidate.org_unit
        if not access.can_at(actor, MANAGE, unit):
            errors["member"] = "该成员不在您的管理范围内"
    if _day(joined_on, "joined_on", "加入日期", errors) and joined_on > workdays.today():
        errors["joined_on"] = "加入日期不能晚于今天"
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            member = AllianceMember.objects.create(
                alliance=alliance,
                person=person,
                studio=studio,
                member_unit=member_unit,
                joined_on=joined_on,
            )
            record(
                actor=actor,
                action=Action.TRAINING_ALLIANCE_MEMBER_ADD,
                obj=member,
                org_unit_id=alliance.org_unit_id,
                changes={
                    "person": [None, person and person.pk],
                    "studio": [None, studio and studio.pk],
                    "member_unit": [None, member_unit and member_unit.pk],
                    "joined_on": [None, joined_on.isoformat()],
                },
                post_id=grant.post_id,
            )
    except IntegrityError:
        raise ValidationFailed({"member": "已是本联盟成员"}) from None
    return member


def alliance_member_remove(*, actor, member: AllianceMember) -> None:
    """Take a member out of its alliance."""
    alliance = member.alliance
    grant = _manage(actor, alliance.org_unit)
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.TRAINING_ALLIANCE_MEMBER_REMOVE,
            obj=member,
            org_unit_id=alliance.org_unit_id,
            changes={
                "person": [member.person_id, None],
                "studio": [member.studio_id, None],
                "member_unit": [member.member_unit_id, None],
            },
            post_id=grant.post_id,
        )
        if not AllianceMember.objects.filter(pk=member.pk).delete()[0]:
            raise Conflict("该成员已移出")


def alliance_activity_add(
    *,
    actor,
    alliance: Alliance,
    on: date,
    title: str,
    kind: str,
    participants: int = 0,
    summary: str = "",
) -> AllianceActivity:
    """An activity the alliance held (座谈, 参观 or 交流): not dated in the future."""
    grant = _manage(actor, alliance.org_unit)
    errors: dict[str, str] = {}
    on = _day(on, "on", "活动日期", errors)
    if on and on > workdays.today():
        errors["on"] = "活动日期不能晚于今天（登记已举行的活动）"
    title = clean_text(title, "title", "活动名称", 200, errors)
    if kind not in ACTIVITY_KINDS:
        errors["kind"] = "请选择活动形式：" + "、".join(ACTIVITY_KINDS)
    participants = _count(participants, "participants", "参加人数", errors)
    summary = clean_text(summary, "summary", "活动内容", 4000, errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    data = {
        "on": on,
        "title": title,
        "kind": kind,
        "participants": participants,
        "summary": summary,
    }
    with transaction.atomic():
        activity = AllianceActivity.objects.create(alliance=alliance, created_by=actor, **data)
        record(
            actor=actor,
            action=Action.TRAINING_ALLIANCE_ACTIVITY_ADD,
            obj=activity,
            org_unit_id=alliance.org_unit_id,
            changes={k: [None, _plain(v)] for k, v in data.items()},
            post_id=grant.post_id,
        )
    return activity
