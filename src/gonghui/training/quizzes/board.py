"""The lecturer's live screen as the stream server carries it (``/live/quiz/<pk>/events``, on
the process of ``gonghui.common.live``): the count answered against the session's attendees,
the score distribution and, per question, the correct rate. The screen is projected in the
room, so while the quiz is still being answered the frame carries nothing that gives the key
away: no right options and no per-option counts (the room would read the key off the most
chosen option). Once the quiz is over (closed, or open past ``closes_at``) the frame adds
each option's count and marks the right ones.

The version of a quiz's board is ``4 × submissions + state`` (draft 0, open 1, over 2 — open
but past closes_at —, closed 3): both only ever grow, so a new submission or a state change
(time running out included) is a new version. The hub polls
the versions of the watched quizzes (one grouped query every ``POLL_SECONDS``, 0.1 s, whatever the
number of screens): the answer path sends no notification and pays nothing for the screen.
A new version is tallied incrementally: only the submissions after the last one counted are
read (one query), the paper is read once; if the count does not add up (on PostgreSQL a
later id can commit before an earlier one) the quiz is tallied afresh.

The board is not public: the screen page of a viewer who manages the quiz's union embeds a
signed token bound to the quiz and valid for the quiz's time limit plus ``TOKEN_SPARE``
(``screen_token``) in the stream's URL; the stream refuses a request without a valid one
(403)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from django.core import signing

from gonghui.common.live import Board

PATH = re.compile(r"^/live/quiz/(\d{1,12})/events/?$")
SALT = "gonghui.training.quiz.screen"
POLL_SECONDS = 0.1  # the screen within a second at p99 even under load; one grouped query
TOKEN_SPARE = 60 * 60  # a token lives the time limit and this; reloading issues a new one
STATES = {"draft": 0, "open": 1, "over": 2, "closed": 3}
BANDS = [
    (0, 59, "0–59"),
    (60, 69, "60–69"),
    (70, 79, "70–79"),
    (80, 89, "80–89"),
    (90, 100, "90–100"),
]

_signer = signing.Signer(salt=SALT)


def screen_token(quiz_id: int, time_limit: int) -> str:
    """The stream's token for one quiz, good for ``time_limit`` seconds and ``TOKEN_SPARE``
    (the caller has checked that the viewer manages the quiz's union)."""
    expires = int(time.time()) + time_limit + TOKEN_SPARE
    return _signer.sign(f"{quiz_id}:{expires}")


def token_ok(token: str | None, quiz_id: int) -> bool:
    if not token:
        return False
    try:
        bound, _, expires = _signer.unsign(token).partition(":")
    except signing.BadSignature:
        return False
    return bound == str(quiz_id) and expires.isdigit() and time.time() <= int(expires)


def state(status: str, closes_at, now) -> str:
    """The board's state: ``over`` for an open quiz past its closes_at (answers refused)."""
    if status == "open" and closes_at is not None and now > closes_at:
        return "over"
    return status


def version(count: int, state: str) -> int:
    return 4 * count + STATES.get(state, 0)


def band(points: int, out_of: int) -> int:
    """The index in ``BANDS`` of a score (as a percentage of the paper's total)."""
    percent = 100 * points // out_of if out_of else 0
    return next(i for i, (low, high, _) in enumerate(BANDS) if low <= percent <= high)


@dataclass
class Tally:
    """One quiz's counts, kept up to date by adding the submissions read since."""

    items: list[dict]  # position, kind, text, options, answer, points
    out_of: int
    last_id: int = 0
    count: int = 0
    score_sum: int = 0
    bands: list[int] = field(default_factory=lambda: [0] * len(BANDS))
    right: dict[int, int] = field(default_factory=dict)
    chosen: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self):
        for item in self.items:
            self.right.setdefault(item["position"], 0)
            self.chosen.setdefault(item["position"], [0] * len(item["options"]))

    def add(self, rows) -> None:
        for submission_id, answers, correct, points in rows:
            answers = json.loads(answers) if isinstance(answers, str) else answers
            correct = json.loads(correct) if isinstance(correct, str) else correct
            self.count += 1
            self.score_sum += points
            self.bands[band(points, self.out_of)] += 1
            for position in correct:
                if position in self.right:
                    self.right[position] += 1
            for key, picked in answers.items():
                counts = self.chosen.get(int(key))
                for option in picked:
                    if counts is not None and 0 <= option < len(counts):
                        counts[option] += 1
            self.last_id = max(self.last_id, submission_id)

    def frame(self, quiz: dict, attendees: int) -> dict:
        """The screen's frame; ``quiz["state"]`` decides whether the options are shown."""
        n = self.count
        over = quiz["state"] in ("over", "closed")
        return {
            "quiz": quiz["id"],
            "version": version(n, quiz["state"]),
            "status": quiz["status"],
            "over": over,
            "opened_at": quiz["opened_at"],
            "closes_at": quiz["closes_at"],
            "answered": n,
            "attendees": attendees,
            "total": self.out_of,
            "average": round(self.score_sum / n, 1) if n else None,
            "distribution": [
                {"label": label, "count": c}
                for (_, _, label), c in zip(BANDS, self.bands, strict=True)
            ],
            "questions": [
                {
                    "position": item["position"],
                    "kind": item["kind"],
                    "text": item["text"][:60],
                    "correct_rate": round(100 * self.right[item["position"]] / n, 1) if n else None,
                }
                | ({"options": self._options(item)} if over else {})
                for item in self.items
            ],
        }

    def _options(self, item: dict) -> list[dict]:
        return [
            {
                "label": option,
                "count": self.chosen[item["position"]][i],
                "right": i in item["answer"],
            }
            for i, option in enumerate(item["options"])
        ]


def _stamp(value) -> str | None:
    from django.utils import timezone

    return timezone.localtime(value).isoformat() if value else None


class QuizBoard(Board):
    """A quiz's live screen: polled (``channel`` None), tallied incrementally, token-bound."""

    name = "quizzes"
    path = PATH
    channel = None

    def __init__(self):
        self.tallies: dict[int, Tally] = {}

    def allowed(self, board_id: int, scope) -> bool:
        values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("t")
        return token_ok(values[0] if values else None, board_id)

    def versions(self, board_ids: list[int]) -> dict[int, int]:
        from django.db.models import Count
        from django.utils import timezone

        from gonghui.training.models import Quiz

        now = timezone.now()
        return {
            pk: version(n, state(status, closes_at, now))
            for pk, status, closes_at, n in Quiz.objects.filter(pk__in=board_ids)
            .annotate(n=Count("submissions"))
            .values_list("pk", "status", "closes_at", "n")
        }

    def load(self, board_id: int) -> tuple[int, str] | None:
        frame = self.frame(board_id)
        return None if frame is None else (frame["version"], json.dumps(frame, ensure_ascii=False))

    def frame(self, quiz_id: int) -> dict | None:
        """The quiz's frame as it stands (also what the screen page polls without a stream)."""
        from django.db.models import Count
        from django.utils import timezone

        from gonghui.training.models import Attendance, Quiz, Submission

        quiz = (
            Quiz.objects.filter(pk=quiz_id)
            .annotate(n=Count("submissions"))
            .values("id", "status", "opened_at", "closes_at", "session_id", "n")
            .first()
        )
        if quiz is None:
            self.tallies.pop(quiz_id, None)
            return None
        tally = self.tallies.get(quiz_id)
        if tally is None:
            tally = self.tallies[quiz_id] = _new_tally(quiz_id)
        if quiz["n"] != tally.count:
            rows = list(
                Submission.objects.filter(quiz_id=quiz_id, pk__gt=tally.last_id)
                .order_by("pk")
                .values_list("pk", "answers", "correct", "score")
            )
            if tally.count + len(rows) != quiz["n"]:  # a gap committed late: count afresh
                tally = self.tallies[quiz_id] = _new_tally(quiz_id)
                rows = Submission.objects.filter(quiz_id=quiz_id).values_list(
                    "pk", "answers", "correct", "score"
                )
            tally.add(rows)
        attendees = (
            Attendance.objects.filter(session_id=quiz["session_id"]).count()
            if quiz["session_id"]
            else 0
        )
        shown = quiz | {
            "state": state(quiz["status"], quiz["closes_at"], timezone.now()),
            "opened_at": _stamp(quiz["opened_at"]),
            "closes_at": _stamp(quiz["closes_at"]),
        }
        return tally.frame(shown, attendees)


def _new_tally(quiz_id: int) -> Tally:
    from gonghui.training.models import QuizItem

    items = list(
        QuizItem.objects.filter(quiz_id=quiz_id)
        .order_by("position")
        .values("position", "kind", "text", "options", "answer", "points")
    )
    return Tally(items=items, out_of=sum(i["points"] for i in items))


BOARD = QuizBoard()
