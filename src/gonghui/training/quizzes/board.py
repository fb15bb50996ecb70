"""The lecturer's live screen as the stream server carries it (``/live/quiz/<pk>/events``, on
the process of ``gonghui.common.live``): the count answered against the session's attendees,
the score distribution and, per question, the correct rate and each option's count.

The version of a quiz's board is ``3 × submissions + state`` (draft 0, open 1, closed 2):
both only ever grow, so a new submission or a state change is a new version. The hub polls
the versions of the watched quizzes (one grouped query every ``POLL_SECONDS``, 0.1 s, whatever the
number of screens): the answer path sends no notification and pays nothing for the screen.
A new version is tallied incrementally: only the submissions after the last one counted are
read (one query), the paper is read once; if the count does not add up (on PostgreSQL a
later id can commit before an earlier one) the quiz is tallied afresh.

The board is not public: the screen page embeds a signed token bound to the quiz
(``screen_token``, valid ``TOKEN_MAX_AGE``) in the stream's URL; the stream refuses a
request without a valid one (403)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from django.core import signing

from gonghui.common.live import Board

PATH = re.compile(r"^/live/quiz/(\d{1,12})/events/?$")
SALT = "gonghui.training.quiz.screen"
POLL_SECONDS = 0.1  # the screen within a second at p99 even under load; one grouped query
TOKEN_MAX_AGE = 4 * 60 * 60  # a session's afternoon; reloading the screen issues a new one
STATES = {"draft": 0, "open": 1, "closed": 2}
BANDS = [
    (0, 59, "0–59"),
    (60, 69, "60–69"),
    (70, 79, "70–79"),
    (80, 89, "80–89"),
    (90, 100, "90–100"),
]

_signer = signing.TimestampSigner(salt=SALT)


def screen_token(quiz_id: int) -> str:
    return _signer.sign(str(quiz_id))


def token_ok(token: str | None, quiz_id: int) -> bool:
    if not token:
        return False
    try:
        return _signer.unsign(token, max_age=TOKEN_MAX_AGE) == str(quiz_id)
    except signing.BadSignature:
        return False


def version(count: int, status: str) -> int:
    return 3 * count + STATES.get(status, 0)


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
        n = self.count
        return {
            "quiz": quiz["id"],
            "version": version(n, quiz["status"]),
            "status": quiz["status"],
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
                    "options": [
                        {
                            "label": option,
                            "count": self.chosen[item["position"]][i],
                            "right": i in item["answer"],
                        }
                        for i, option in enumerate(item["options"])
                    ],
                }
                for item in self.items
            ],
        }


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

        from gonghui.training.models import Quiz

        return {
            pk: version(n, status)
            for pk, status, n in Quiz.objects.filter(pk__in=board_ids)
            .annotate(n=Count("submissions"))
            .values_list("pk", "status", "n")
        }

    def load(self, board_id: int) -> tuple[int, str] | None:
        frame = self.frame(board_id)
        return None if frame is None else (frame["version"], json.dumps(frame, ensure_ascii=False))

    def frame(self, quiz_id: int) -> dict | None:
        """The quiz's frame as it stands (also what the screen page polls without a stream)."""
        from django.db.models import Count

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
