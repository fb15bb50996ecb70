"""The answer hot path (扫码答题): what one member's submit does, 2,500 phones at once.

Modelled on the giveaways' claim path (``perks/giveaways/claims.py``): nothing is checked
first and written later; the write decides. One hand-written statement inserts the
submission only if, by the server's clock and in the database, the quiz is open and not past
``closes_at``, and the member may answer it: attended the session when the quiz is for
attendees only, else is a member of the session's audience;
``UNIQUE(quiz, person)`` (``submission_once``) refuses a second row. A single statement is
its own transaction on both databases: no BEGIN/COMMIT round trips.

Refusals are diagnosed only after the write said no, so the success path pays nothing for
them. The same answers sent again (a phone on a bad network retrying) get the SAME
acknowledgement, rebuilt from the stored row; different answers a second time are refused.

The paper is read once per process and quiz (frozen when the quiz was made); the quiz's
state (open, closes_at) is trusted for a second, the write checks it again. Scoring is
``scoring.score``, a pure function of that paper."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone

from gonghui.common.schemas import MAX_ID
from gonghui.training.quizzes.scoring import Item, Malformed, normalise, score, total

NOT_AUDIENCE = "本次答题仅限本场次面向的工会会员作答，您不在其中"
STATE_SECONDS = 1.0  # an open quiz's state is trusted this long; the write re-checks it


@dataclass
class Ack:
    """The answer to one submission: HTTP status, a code for programs, a message for people
    and, when the member's submission is stored, its acknowledgement."""

    status: int
    code: str
    message: str
    submission: dict | None = field(default=None)

    def body(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.submission is not None:
            body["submission"] = self.submission
        return body


@dataclass(frozen=True)
class Paper:
    id: int
    status: str
    attendees_only: bool
    opened_at: datetime | None
    closes_at: datetime | None
    items: dict[int, Item]
    total: int
    expires: float


_ITEMS: dict[int, dict[int, Item]] = {}  # never change once the quiz exists
_STATE: dict[int, Paper] = {}


def paper(quiz_id: int) -> Paper | None:
    """The quiz as the answer path needs it (its items read once per process)."""
    held = _STATE.get(quiz_id)
    if held is not None and held.expires > time.monotonic():
        return held
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, attendees_only, opened_at, closes_at FROM training_quiz WHERE id = %s",
            [quiz_id],
        )
        row = cursor.fetchone()
        if row is None:
            _STATE.pop(quiz_id, None)
            return None
        items = _ITEMS.get(quiz_id)
        if items is None:
            cursor.execute(
                "SELECT position, kind, options, answer, points FROM training_quizitem"
                " WHERE quiz_id = %s",
                [quiz_id],
            )
            items = {
                position: Item(
                    position, kind, len(_json(options)), frozenset(_json(answer)), points
                )
                for position, kind, options, answer, points in cursor.fetchall()
            }
            _ITEMS[quiz_id] = items
    status, attendees_only, opened_at, closes_at = row
    found = Paper(
        quiz_id,
        status,
        bool(attendees_only),
        _aware(opened_at),
        _aware(closes_at),
        items,
        total(items),
        time.monotonic() + STATE_SECONDS,
    )
    if status == "open":  # a draft opens any moment; a closed quiz is answered by the DB
        _STATE[quiz_id] = found
    return found


def forget(quiz_id: int) -> None:
    """Drop the process's copy of the quiz's state (after opening or closing it here)."""
    _STATE.pop(quiz_id, None)


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite through a raw cursor
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


# --- The submission ------------------------------------------------------------------------

_ATTENDED = (
    "EXISTS (SELECT 1 FROM training_attendance a"
    " WHERE a.session_id = q.session_id AND a.person_id = %(person)s)"
)
# The session's audience (``courses.selectors.covers``): the member's active membership is
# in the audience's subtree, or the session is open to every member. Through the unique
# index on the person's active membership: a few index probes inside the same statement.
_IN_AUDIENCE = (
    "EXISTS (SELECT 1 FROM training_session se"
    " JOIN people_membership m ON m.person_id = %(person)s AND m.status = 'active'"
    " JOIN orgs_orgunit u ON u.id = m.org_unit_id"
    " LEFT JOIN orgs_orgunit au ON au.id = se.audience_id"
    " WHERE se.id = q.session_id"
    " AND (au.id IS NULL OR substr(u.path, 1, length(au.path)) = au.path))"
)
_INSERT = (
    "INSERT INTO training_submission"
    " (quiz_id, person_id, answers, correct, score, submitted_at, elapsed_ms, sealed) "
    "SELECT q.id, %(person)s, {json}, {json_correct}, %(score)s, %(now)s, %(elapsed)s, FALSE"
    " FROM training_quiz q WHERE q.id = %(quiz)s AND q.status = 'open'"
    " AND q.closes_at >= %(now)s AND {who}{lock} "
    "ON CONFLICT DO NOTHING RETURNING id"
)
# Why the write said no, in one read: the member's submission if any, the quiz's state, and
# whether the member attended / is in the session's audience.
_WHY = (
    f"SELECT q.status, q.closes_at, q.attendees_only, {_ATTENDED}, {_IN_AUDIENCE},"  # noqa: S608 (constants, values are parameters)
    " s.id, s.answers, s.score, s.submitted_at "
    "FROM training_quiz q LEFT JOIN training_submission s"
    " ON s.quiz_id = q.id AND s.person_id = %(person)s WHERE q.id = %(quiz)s"
)


def _statement(attendees_only: bool) -> str:
    """The insert for the quiz's rule (attendees only, or the session's audience). On
    PostgreSQL the SELECT locks the quiz row ``FOR KEY SHARE`` (the foreign key's check
    takes that lock anyway, at the end of the statement): ``quiz_close`` holds the row
    ``FOR UPDATE``, so an insert arriving while the close seals waits, then re-reads the
    row, finds it closed and inserts nothing; no answer commits after the seal."""
    postgres = connection.vendor == "postgresql"
    cast = "::jsonb" if postgres else ""
    return _INSERT.format(
        json=f"%(answers)s{cast}",
        json_correct=f"%(correct)s{cast}",
        who=_ATTENDED if attendees_only else _IN_AUDIENCE,
        lock=" FOR KEY SHARE OF q" if postgres else "",
    )


def submit(*, person_id: int, quiz_id: int, answers, now: datetime | None = None) -> Ack:
    """One member's submission: scored, stored once, acknowledged (or refused, saying why)."""
    found = paper(quiz_id) if 0 < quiz_id <= MAX_ID else None
    if found is None:
        return Ack(404, "not_found", "答题不存在")
    if found.status == "draft":
        return Ack(409, "not_open", "答题尚未开始")
    try:
        clean = normalise(answers, found.items)
    except Malformed as exc:
        return Ack(422, "malformed", str(exc))
    now = now or timezone.now()
    points, correct = score(clean, found.items)
    row = {
        "quiz": quiz_id,
        "person": person_id,
        "answers": json.dumps(clean, separators=(",", ":")),
        "correct": json.dumps(correct),
        "score": points,
        "now": connection.ops.adapt_datetimefield_value(now),
        "elapsed": max(0, int((now - found.opened_at).total_seconds() * 1000))
        if found.opened_at
        else 0,
    }
    submission_id = None
    if found.status == "open" and found.closes_at is not None and now <= found.closes_at:
        with connection.cursor() as cursor:
            cursor.execute(_statement(found.attendees_only), row)
            inserted = cursor.fetchone()
        submission_id = inserted[0] if inserted else None
    if submission_id is None:
        return _diagnose(row, clean, now, found)
    return _accepted(submission_id, points, now, found.total)


def _accepted(submission_id, points, submitted_at, out_of) -> Ack:
    """The acknowledgement: the score only. Which questions were right stays out of it
    (others in the room are still answering); the member page shows them once it is over."""
    stamp = timezone.localtime(submitted_at).strftime("%Y-%m-%d %H:%M:%S")
    return Ack(
        200,
        "accepted",
        f"提交成功，得分 {points} / {out_of}",
        {
            "id": submission_id,
            "score": points,
            "total": out_of,
            "submitted_at": stamp,
        },
    )


def _diagnose(row: dict, clean: dict, now: datetime, found: Paper) -> Ack:
    """Why the write said no (or the member's stored submission, answered the same)."""
    with connection.cursor() as cursor:
        cursor.execute(_WHY, row)
        why = cursor.fetchone()
    if why is None:
        forget(found.id)
        return Ack(404, "not_found", "答题不存在")
    status, closes_at, attendees_only, attended, in_audience, s_id, s_answers, s_score, s_at = why
    if s_id is not None:
        if _json(s_answers) == clean:  # a retry: the same acknowledgement
            return _accepted(s_id, s_score, _aware(s_at), found.total)
        return Ack(409, "already_submitted", "已提交，不能重复作答")
    if status != "open":
        forget(found.id)
        if status == "draft":
            return Ack(409, "not_open", "答题尚未开始")
        return Ack(409, "closed", "答题时间已到")
    if now > _aware(closes_at):
        return Ack(409, "closed", "答题时间已到")
    if attendees_only and not attended:
        return Ack(403, "not_attended", "仅限签到学员：您未在本场次签到，不能作答")
    if not attendees_only and not in_audience:
        return Ack(403, "not_audience", NOT_AUDIENCE)
    return Ack(409, "conflict", "提交未能完成，请重试")
