"""Public jurors (大众评委): registering them with their identity kept only as a keyed hash,
their conflicts with the entrants (回避), seating them with a voting pass, and their votes.

A juror votes on their phone without an account: the pass (``jury/passes.py``) says who
votes; the database decides whether they may (the vote triggers refuse a recused or
unseated juror, ``UNIQUE(stage, juror, entrant)`` a second vote). A vote outside the
stage's window after it closed is recorded as late (refused, never counted: ``engine``);
one sent before the window opens is refused and not recorded, so the juror can still vote
once it opens.

``vote_cast`` is the hot path (100 jurors × 30 entrants within a minute, while 12 experts
mark): one read of everything it checks, then one transaction holding the vote and its
event. Refusals are diagnosed only after the write said no, so a vote that goes through
pays nothing for them."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common import crypto
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.common.pii import normalize_id_number
from gonghui.contests import engine, events, scoring
from gonghui.contests.jury import passes
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Programme,
    Recusal,
    Vote,
)
from gonghui.contests.records import entrant_key, juror_key
from gonghui.orgs import access

IDENTITY_CONTEXT = "contests.juror"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LATE = "投票已截止，本票不计入"


def _manage(actor, programme: Programme):
    return access.require_at(
        actor, "contests.manage", programme.org_unit, view_perm="contests.view"
    )


def _folded(text: str) -> str:
    """A name as typed, compared: full-width folded (NFKC), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _employer_key(name: str) -> str:
    return _folded(name).replace(" ", "").casefold()


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
    """A public juror recruited from society. The resident ID is kept only as a keyed hash
    (never stored, shown nor logged); the same person twice in a programme is refused. The
    juror is recused from every entrant of the programme's competitions whose employer has
    the juror's employer's name (EMPLOYER), and from those they declare (DECLARED)."""
    grant = _manage(actor, programme)
    errors: dict[str, str] = {}
    name = _folded(name)
    employer_name = _folded(employer_name)
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
            "employer", "competition"
        )
    }
    if any(pk not in entrants for pk in declared):
        errors["relations"] = "申报的关系人不是本项目的参赛人"
    if errors:
        raise ValidationFailed(errors)
    identity = crypto.blind_index(number, context=IDENTITY_CONTEXT)
    taken = ValidationFailed({"id_number": "该身份证号已登记为本项目的大众评委，不能重复登记"})
    with transaction.atomic():
        competitions = list(Competition.objects.filter(programme=programme).order_by("pk"))
        if not competitions:
            raise Conflict("项目尚未设立工种竞赛，暂不能登记大众评委")
        if Judge.objects.filter(programme=programme, identity_hash=identity).exists():
            raise taken
        same = _employer_key(employer_name)
        mates = [e for e in entrants.values() if same and _employer_key(e.employer.name) == same]
        try:
            with transaction.atomic():
                juror = Judge.objects.create(
                    programme=programme,
                    kind=Judge.Kind.PUBLIC,
                    name=name,
                    employer=mates[0].employer if mates else None,
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


def juror_seat(*, actor, juror: Judge) -> str:
    """Seat a public juror: from now on they may vote. Returns their voting pass (seating
    again does nothing but hand out a fresh pass)."""
    grant = _manage(actor, juror.programme)
    if juror.kind != Judge.Kind.PUBLIC:
        raise ValidationFailed({"juror": "只有大众评委在此入座；专家裁判由抽签组成裁判组"})
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
    return passes.issue(juror.pk)


# --- Votes (the hot path) ------------------------------------------------------------------


def _pk(value) -> int:
    return value if isinstance(value, int) else value.pk


# Everything a vote checks, in one statement: hand-written because composing it through the
# ORM (three subqueries) cost more than running it, on every vote.
_CONTEXT = (
    "SELECT s.votes_open_at, s.votes_close_at, s.scheme, s.competition_id, c.org_unit_id, "
    "c.programme_id, "
    "(SELECT e.number FROM contests_stageentry se JOIN contests_entrant e ON e.id = se.entrant_id "
    "WHERE se.stage_id = s.id AND se.entrant_id = %s), "
    "(SELECT j.programme_id FROM contests_judge j WHERE j.id = %s AND j.kind = %s), "
    "(SELECT j.seated FROM contests_judge j WHERE j.id = %s) "
    "FROM contests_stage s JOIN contests_competition c ON c.id = s.competition_id "
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
        cursor.execute(
            _CONTEXT, [entrant_id, juror_id, Judge.Kind.PUBLIC.value, juror_id, stage_id]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    opens, closes, scheme = _aware(row[0]), _aware(row[1]), row[2]
    if isinstance(scheme, str):
        scheme = json.loads(scheme)
    return (opens, closes, scheme, *row[3:])


def vote_cast(*, juror, stage, entrant, value, key: str) -> Vote:
    """One public vote (``juror``, ``stage``, ``entrant``: rows or their ids). The vote
    returned carries ``duplicate``: True when ``key`` was sent before (the stored vote,
    nothing new). Within [votes_open_at, votes_close_at) the vote is recorded and counted;
    after the window it is recorded as late and refused; before it, refused."""
    juror_id, stage_id, entrant_id = _pk(juror), _pk(stage), _pk(entrant)
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        raise ValidationFailed({"key": "幂等键应为 8–64 位字母、数字、- 或 _"})
    row = _context(stage_id, entrant_id, juror_id)
    if row is None:
        raise NotFound("赛段不存在")
    opens, closes, scheme, competition_id, org_unit_id, programme_id, number = row[:7]
    juror_programme, seated = row[7], bool(row[8])
    if juror_programme != programme_id:
        raise NotFound("该评委不是本项目的大众评委")
    if number is None:
        raise ValidationFailed({"entrant": "该参赛人不在本赛段"})
    public = (scheme or {}).get("public") if isinstance(scheme, dict) else None
    if not public or "max" not in public:
        raise ValidationFailed({"stage": "本赛段不设大众评委投票"})
    problem = engine.mark_problem({"max": public["max"]}, value)
    if problem:
        raise ValidationFailed({"value": problem})
    value = format(scoring.mark(value).normalize(scoring.CONTEXT), "f")
    now = timezone.now()
    if opens is None or closes is None:
        raise ValidationFailed({"stage": "本赛段尚未设定大众评委投票时间"})
    if now < opens:
        raise ValidationFailed({"stage": "投票尚未开始"})
    if not seated:
        raise Conflict("尚未入座的评委不能投票")
    late = now >= closes
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
        raise ValidationFailed({"stage": LATE})
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
        raise Conflict("尚未入座的评委不能投票")
    raise Conflict("投票未被接受，请重试")  # pragma: no cover - a refusal not foreseen
