"""Public jurors (大众评委): registering them with their identity kept only as a keyed hash,
their conflicts with the entrants (回避), seating and unseating them (the voting pass), and
their votes.

A juror votes on their phone without an account: the pass (``jury/passes.py``) says who
votes; the database decides whether they may (the vote triggers refuse a recused or
unseated juror, ``UNIQUE(stage, juror, entrant)`` a second vote). A vote after the stage's
window closed, or once its results are locked, is recorded as late (refused, never counted:
``engine``); one sent before the window opens is refused and not recorded, so the juror can
still vote once it opens.

Conflicts are decided on what the platform knows now, not only at registration: a juror
never votes on an entrant of their own employer (the employer is kept as the registry's
unit, found or created by name like an entrant's), recorded as a recusal at registration
and refused at the vote for an entrant who registered later; and a juror who is (or later
becomes) an entrant of the programme does not vote at all. The identity hash is the
registry's blind index of the resident ID (``people.Person.id_number_index``), so that the
two can be compared without the number.

``vote_cast`` is the hot path (100 jurors × 30 entrants within a minute, while 12 experts
mark): one read of everything it checks, then one transaction holding the vote and its
event. Refusals are diagnosed only after the write said no, so a vote that goes through
pays nothing for them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common import crypto
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.common.pii import normalize_id_number
from gonghui.common.schemas import MAX_ID
from gonghui.contests import engine, events
from gonghui.contests.engine import canonical_number
from gonghui.contests.jury import passes
from gonghui.contests.jury.text import folded
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Programme,
    Recusal,
    Stage,
    Vote,
)
from gonghui.contests.records import entrant_key, juror_key
from gonghui.orgs import access
from gonghui.people.services import employer_enrol

# The registry's context of the resident ID's blind index (``Person.id_number_index``).
IDENTITY_CONTEXT = "id_number"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LATE = "投票已截止，本票不计入"
LOCKED = "本赛段成绩已锁定，本票不计入"
EMPLOYER = "回避：该评委与此参赛人在同一工作单位，不能对其投票"
ENTRANT = "您是本项目的参赛人，不能担任大众评委投票"
WITHDRAWN = "该投票凭证已作废，请向工作人员重新领取"


def _manage(actor, programme: Programme):
    return access.require_at(
        actor, "contests.manage", programme.org_unit, view_perm="contests.view"
    )


# --- Registering and seating -------------------------------------------------------------


def juror_register(
    *,
    actor,
    programme: Programme,
    name: str,
    id_number: str,
    employer_name: str = "",
    relations: Iterable[int] = (),
) -> Judge:
    """A public juror recruited from society. The resident ID is kept only as the registry's
    keyed hash (never stored, shown nor logged); the same person twice in a programme, or
    an entrant of the programme, is refused. The employer is the registry's unit of that
    name (found or created, as an entrant's); the juror is recused from every entrant of
    the programme's competitions with that employer (EMPLOYER; one registering later is
    refused at the vote), and from those they declare (DECLARED)."""
    grant = _manage(actor, programme)
    errors: dict[str, str] = {}
    name = folded(name)
    employer_name = folded(employer_name)
    if not name:
        errors["name"] = "请填写姓名"
    elif len(name) > 60:
        errors["name"] = "姓名最多 60 个字"
    try:
        number = normalize_id_number(id_number or "")
    except ValidationFailed as exc:
        errors.update(exc.fields)
        number = ""
    if len(employer_name) > 120:
        errors["employer_name"] = "工作单位最多 120 个字"
    try:
        declared = sorted({int(pk) for pk in relations})
    except (TypeError, ValueError):
        errors["relations"] = "申报的关系应为参赛人"
        declared = []
    entrants = {
        e.pk: e
        for e in Entrant.objects.filter(competition__programme=programme).select_related(
            "competition", "person"
        )
    }
    if any(pk not in entrants for pk in declared):
        errors["relations"] = "申报的关系人不是本项目的参赛人"
    if errors:
        raise ValidationFailed(errors)
    identity = crypto.blind_index(number, context=IDENTITY_CONTEXT)
    if any(e.person.id_number_index == identity for e in entrants.values()):
        raise ValidationFailed(
            {"id_number": "该身份证号的持有人是本项目的参赛人，不能担任大众评委"}
        )
    taken = ValidationFailed({"id_number": "该身份证号已登记为本项目的大众评委，不能重复登记"})
    with transaction.atomic():
        competitions = list(Competition.objects.filter(programme=programme).order_by("pk"))
        if not competitions:
            raise Conflict("项目尚未设立工种竞赛，暂不能登记大众评委")
        if Judge.objects.filter(programme=programme, identity_hash=identity).exists():
            raise taken
        employer = (
            employer_enrol(org_unit=programme.org_unit, name=employer_name)
            if employer_name
            else None
        )
        mates = [e for e in entrants.values() if employer and e.employer_id == employer.pk]
        try:
            with transaction.atomic():
                juror = Judge.objects.create(
                    programme=programme,
                    kind=Judge.Kind.PUBLIC,
                    name=name,
                    employer=employer,
                    identity_hash=identity,
                )
        except IntegrityError:
            raise taken from None
        key = juror_key(juror.pk)
        for competition in competitions:
            events.event(
                actor,
                competition,
                Action.CONTESTS_JUROR_REGISTER,
                obj=juror,
                changes={
                    "juror": [None, key],
                    "employer": [None, f"u{juror.employer_id}" if juror.employer_id else None],
                },
                post_id=grant.post_id,
            )
        reasons = {e.pk: Recusal.Reason.EMPLOYER for e in mates}
        for pk in declared:
            reasons.setdefault(pk, Recusal.Reason.DECLARED)
        for pk, reason in sorted(reasons.items()):
            entrant = entrants[pk]
            recusal = Recusal.objects.create(
                judge=juror,
                entrant=entrant,
                reason=reason,
                note="大众评委登记时申报" if reason == Recusal.Reason.DECLARED else "",
            )
            events.event(
                actor,
                entrant.competition,
                Action.CONTESTS_RECUSAL,
                obj=recusal,
                changes={
                    "judge": [None, key],
                    "entrant": [None, entrant_key(entrant.number)],
                    "reason": [None, str(reason)],
                },
                post_id=grant.post_id,
            )
    return juror


def _public(juror: Judge) -> None:
    if juror.kind != Judge.Kind.PUBLIC:
        raise ValidationFailed({"juror": "只有大众评委在此入座；专家裁判由抽签组成裁判组"})


def juror_seat(*, actor, juror: Judge) -> str:
    """Seat a public juror: from now on they may vote. Returns their voting pass (seating
    again does nothing but hand out a fresh pass)."""
    grant = _manage(actor, juror.programme)
    _public(juror)
    with transaction.atomic():
        juror = Judge.objects.select_for_update().get(pk=juror.pk)
        if not juror.seated:
            juror.seated = True
            juror.save(update_fields=["seated"])
            for competition in Competition.objects.filter(programme_id=juror.programme_id):
                events.event(
                    actor,
                    competition,
                    Action.CONTESTS_JUROR_SEAT,
                    obj=juror,
                    changes={"juror": [None, juror_key(juror.pk)], "seated": [False, True]},
                    post_id=grant.post_id,
                )
    return passes.issue(juror.pk, juror.pass_count)


def juror_unseat(*, actor, juror: Judge) -> Judge:
    """Unseat a public juror: they vote no more, and every pass handed out to them is
    withdrawn (seating them again hands out a new one). Their votes so far stand.
    Unseating an unseated juror does nothing."""
    grant = _manage(actor, juror.programme)
    _public(juror)
    with transaction.atomic():
        juror = Judge.objects.select_for_update().get(pk=juror.pk)
        if juror.seated:
            juror.seated = False
            juror.pass_count += 1
            juror.save(update_fields=["seated", "pass_count"])
            for competition in Competition.objects.filter(programme_id=juror.programme_id):
                events.event(
                    actor,
                    competition,
                    Action.CONTESTS_JUROR_UNSEAT,
                    obj=juror,
                    changes={"juror": [None, juror_key(juror.pk)], "seated": [True, False]},
                    post_id=grant.post_id,
                )
    return juror


# --- Votes (the hot path) ------------------------------------------------------------------


# Everything a vote checks, in one statement: hand-written because composing it through the
# ORM (joins and an EXISTS) cost more than running it, on every vote.
_CONTEXT = (
    "SELECT s.votes_open_at, s.votes_close_at, s.scheme, s.status, s.competition_id, "
    "c.org_unit_id, c.programme_id, e.number, e.employer_id, "
    "j.programme_id, j.seated, j.employer_id, j.pass_count, "
    "EXISTS (SELECT 1 FROM people_person p "
    "JOIN contests_entrant e2 ON e2.person_id = p.id "
    "JOIN contests_competition c2 ON c2.id = e2.competition_id "
    "WHERE p.id_number_index = j.identity_hash AND c2.programme_id = c.programme_id) "
    "FROM contests_stage s JOIN contests_competition c ON c.id = s.competition_id "
    "LEFT JOIN contests_stageentry se ON se.stage_id = s.id AND se.entrant_id = %s "
    "LEFT JOIN contests_entrant e ON e.id = se.entrant_id "
    "LEFT JOIN contests_judge j ON j.id = %s AND j.kind = %s "
    "WHERE s.id = %s"
)


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite through a raw cursor
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _context(stage_id: int, entrant_id: int, juror_id: int):
    with connection.cursor() as cursor:
        cursor.execute(_CONTEXT, [entrant_id, juror_id, Judge.Kind.PUBLIC.value, stage_id])
        row = cursor.fetchone()
    if row is None:
        return None
    opens, closes, scheme = _aware(row[0]), _aware(row[1]), row[2]
    if isinstance(scheme, str):
        scheme = json.loads(scheme)
    return (opens, closes, scheme, *row[3:])


def _id(value, field: str) -> int:
    """A row's id as passed (a row or an int): ids no row can have are refused here, not
    by the database (SQLite cannot even bind them)."""
    pk = value if isinstance(value, int) else getattr(value, "pk", None)
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise ValidationFailed({field: "编号无效"})
    return pk


def vote_cast(*, juror, stage, entrant, value, key: str, pass_count: int | None = None) -> Vote:
    """One public vote (``juror``, ``stage``, ``entrant``: rows or their ids). The vote
    returned carries ``duplicate``: True when ``key`` was sent before (the stored vote,
    nothing new). Within [votes_open_at, votes_close_at) the vote is recorded and counted;
    after the window, or once the stage's results are locked, it is recorded as late and
    refused; before the window, refused. ``pass_count``: the count of the pass the vote
    came with (the pages and the API), refused when the juror's passes were withdrawn
    since."""
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        raise ValidationFailed({"key": "幂等键应为 8–64 位字母、数字、- 或 _"})
    juror_id = _id(juror, "juror")
    stage_id, entrant_id = _id(stage, "stage"), _id(entrant, "entrant")
    row = _context(stage_id, entrant_id, juror_id)
    if row is None:
        raise NotFound("赛段不存在")
    opens, closes, scheme, status, competition_id, org_unit_id, programme_id = row[:7]
    number, entrant_employer = row[7], row[8]
    juror_programme, seated, juror_employer, count, is_entrant = row[9:14]
    if juror_programme != programme_id:
        raise NotFound("该评委不是本项目的大众评委")
    if pass_count is not None and pass_count != count:
        raise Conflict(WITHDRAWN)
    if number is None:
        raise ValidationFailed({"entrant": "该参赛人不在本赛段"})
    public = (scheme or {}).get("public") if isinstance(scheme, dict) else None
    if not public or "max" not in public:
        raise ValidationFailed({"stage": "本赛段不设大众评委投票"})
    problem = engine.mark_problem({"max": public["max"]}, value)
    if problem:
        raise ValidationFailed({"value": problem})
    value = canonical_number(value)
    now = timezone.now()
    if opens is None or closes is None:
        raise ValidationFailed({"stage": "本赛段尚未设定大众评委投票时间"})
    if now < opens:
        raise ValidationFailed({"stage": "投票尚未开始"})
    if not seated:
        raise Conflict("尚未入座或已被撤销入座的评委不能投票")
    if is_entrant:
        raise Conflict(ENTRANT)
    if juror_employer is not None and juror_employer == entrant_employer:
        raise Conflict(EMPLOYER)
    locked = status in (Stage.Status.LOCKED, Stage.Status.CONFIRMED)
    late = locked or now >= closes
    competition = Competition(pk=competition_id, org_unit_id=org_unit_id)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                stage_id=stage_id,
                juror_id=juror_id,
                entrant_id=entrant_id,
                value=value,
                late=late,
                key=key,
                created_at=now,
            )
            events.event(
                None,
                competition,
                Action.CONTESTS_VOTE,
                obj=vote,
                changes={
                    "stage": [None, stage_id],
                    "entrant": [None, entrant_key(number)],
                    "juror": [None, juror_key(juror_id)],
                    "value": [None, value],
                    "late": [None, late],
                },
            )
    except IntegrityError:
        vote = _refused(juror_id, stage_id, entrant_id, value, key)
    else:
        vote.duplicate = False
    vote.entrant_key = entrant_key(number)
    if vote.late:
        raise ValidationFailed({"stage": LOCKED if locked else LATE})
    return vote


def _refused(juror_id: int, stage_id: int, entrant_id: int, value: str, key: str) -> Vote:
    """Why the database refused a vote (read only once it said no): the same key again is
    the stored vote; anything else is a refusal."""
    stored = Vote.objects.filter(key=key).first()
    if stored is not None:
        same = (stored.stage_id, stored.juror_id, stored.entrant_id, stored.value) == (
            stage_id,
            juror_id,
            entrant_id,
            value,
        )
        if not same:
            raise Conflict("该幂等键已用于另一张选票")
        stored.duplicate = True
        return stored
    if Vote.objects.filter(stage_id=stage_id, juror_id=juror_id, entrant_id=entrant_id).exists():
        raise Conflict("已对该参赛人投过票：每位大众评委对每位参赛人只能投一票")
    if Recusal.objects.filter(judge_id=juror_id, entrant_id=entrant_id).exists():
        raise Conflict("回避：该评委与此参赛人存在利害关系，不能对其投票")
    if not Judge.objects.filter(pk=juror_id, seated=True).exists():
        raise Conflict("尚未入座或已被撤销入座的评委不能投票")
    raise Conflict("投票未被接受，请重试")  # pragma: no cover - a refusal not foreseen
