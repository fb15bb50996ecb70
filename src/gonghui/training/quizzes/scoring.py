"""A quiz's paper as the answer path needs it, and scoring: a pure function of the frozen
paper (its items are copied from the bank when the quiz is made and never change after), so
a submission is scored by the server when it arrives, the same way every time."""

from __future__ import annotations

from dataclasses import dataclass

SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "true_false"
TRUE_FALSE_OPTIONS = ["正确", "错误"]


@dataclass(frozen=True)
class Item:
    position: int
    kind: str
    options: int  # how many options
    answer: frozenset[int]
    points: int


class Malformed(ValueError):
    """Answers the paper cannot take; the message names the question."""


def normalise(raw, items: dict[int, Item]) -> dict[str, list[int]]:
    """``{题号: [选项序号, ...]}`` as stored: positions as text, each list sorted and without
    repeats; an empty list is no answer (left out). Refuses anything else, naming the
    question: a position not on the paper, an option that does not exist, more than one
    option where one is asked."""
    if not isinstance(raw, dict):
        raise Malformed("作答格式不正确")
    answers: dict[str, list[int]] = {}
    for key, chosen in raw.items():
        text = str(key).strip()
        position = int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None
        item = items.get(position) if position is not None else None
        if item is None:
            raise Malformed(f"第{text[:8]}题不在本次试卷中")
        if not isinstance(chosen, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in chosen
        ):
            raise Malformed(f"第{position}题：作答格式不正确")
        picked = sorted(set(chosen))
        if not picked:
            continue
        if picked[0] < 0 or picked[-1] >= item.options:
            raise Malformed(f"第{position}题：选项不存在")
        if item.kind != MULTIPLE and len(picked) != 1:
            raise Malformed(f"第{position}题：只能选择一个选项")
        answers[str(position)] = picked
    return answers


def score(answers: dict[str, list[int]], items: dict[int, Item]) -> tuple[int, list[int]]:
    """The score and the positions answered right: a question is right when the chosen set
    is exactly its answer (a multiple choice missing one right option scores nothing)."""
    correct = [
        p for p, item in sorted(items.items()) if frozenset(answers.get(str(p), ())) == item.answer
    ]
    return sum(items[p].points for p in correct), correct


def total(items: dict[int, Item]) -> int:
    return sum(item.points for item in items.values())
