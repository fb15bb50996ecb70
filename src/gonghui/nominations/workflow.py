"""The procedure "一报告两审核三公示" as data: states, and for each action the states it may
start from, the state it leads to, the permission it needs and at which level it is taken.
No database here; ``services.py`` fires the transitions and checks the time rules.

    draft ─nominate→ nominated ─(first notice published)→ first_notice
      ─first_review→ first_passed ─(second notice)→ second_notice ─second_review→
      second_passed ─(final notice)→ final_notice ─approve→ approved (awards written)
    reviews and approval may also reject; an upheld objection removes; the nominating
    unit may withdraw (or replace) until the first review.
"""

from dataclasses import dataclass

from django.db import models


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    NOMINATED = "nominated", "已推荐（待基层公示）"
    FIRST_NOTICE = "first_notice", "基层公示"
    FIRST_PASSED = "first_passed", "初审通过"
    SECOND_NOTICE = "second_notice", "市级公示"
    SECOND_PASSED = "second_passed", "复审通过"
    FINAL_NOTICE = "final_notice", "拟表彰公示"
    APPROVED = "approved", "已批准表彰"
    REJECTED = "rejected", "未通过"
    REMOVED = "removed", "因异议查实取消"
    WITHDRAWN = "withdrawn", "已撤回"


# Where an action is taken: at the nominating unit, at the quota node (the district or
# industry union that reviews first), or at the campaign's organising node (the city).
UNIT, NODE, CITY = "unit", "node", "city"

# States that no longer count against a quota.
ENDED = frozenset({State.REJECTED, State.REMOVED, State.WITHDRAWN})


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    permission: str
    level: str


TRANSITIONS: dict[str, Transition] = {
    "nominate": Transition(
        "推荐上报", frozenset({State.DRAFT}), State.NOMINATED, "nominations.nominate", UNIT
    ),
    "first_notice": Transition(
        "基层公示",
        frozenset({State.NOMINATED}),
        State.FIRST_NOTICE,
        "nominations.nominate",
        UNIT,
    ),
    "first_pass": Transition(
        "初审通过",
        frozenset({State.FIRST_NOTICE}),
        State.FIRST_PASSED,
        "nominations.review",
        NODE,
    ),
    "first_reject": Transition(
        "初审不通过",
        frozenset({State.FIRST_NOTICE}),
        State.REJECTED,
        "nominations.review",
        NODE,
    ),
    "second_notice": Transition(
        "市级公示",
        frozenset({State.FIRST_PASSED}),
        State.SECOND_NOTICE,
        "nominations.approve",
        CITY,
    ),
    "second_pass": Transition(
        "复审通过",
        frozenset({State.SECOND_NOTICE}),
        State.SECOND_PASSED,
        "nominations.approve",
        CITY,
    ),
    "second_reject": Transition(
        "复审不通过",
        frozenset({State.SECOND_NOTICE}),
        State.REJECTED,
        "nominations.approve",
        CITY,
    ),
    "final_notice": Transition(
        "拟表彰名单公示",
        frozenset({State.SECOND_PASSED}),
        State.FINAL_NOTICE,
        "nominations.approve",
        CITY,
    ),
    "approve": Transition(
        "批准表彰", frozenset({State.FINAL_NOTICE}), State.APPROVED, "nominations.approve", CITY
    ),
    "final_reject": Transition(
        "不予表彰",
        frozenset({State.FINAL_NOTICE}),
        State.REJECTED,
        "nominations.approve",
        CITY,
    ),
    "withdraw": Transition(
        "撤回推荐",
        frozenset({State.DRAFT, State.NOMINATED, State.FIRST_NOTICE}),
        State.WITHDRAWN,
        "nominations.nominate",
        UNIT,
    ),
    "remove": Transition(
        "因异议查实取消",
        frozenset(
            {
                State.FIRST_NOTICE,
                State.FIRST_PASSED,
                State.SECOND_NOTICE,
                State.SECOND_PASSED,
                State.FINAL_NOTICE,
            }
        ),
        State.REMOVED,
        "nominations.review",
        NODE,
    ),
}

# The notice each notice-publishing action opens, and the action that may follow it only
# once that notice has closed.
NOTICE_OF = {"first_notice": "first", "second_notice": "second", "final_notice": "final"}
AFTER_NOTICE = {
    "first_pass": "first",
    "first_reject": "first",
    "second_pass": "second",
    "second_reject": "second",
    "approve": "final",
    "final_reject": "final",
}


def refusal(action: str, state: str) -> str | None:
    """Why ``action`` may not be taken in ``state`` (None: it may)."""
    t = TRANSITIONS[action]
    if state in t.sources:
        return None
    allowed = "、".join(State(s).label for s in sorted(t.sources))
    return f"“{State(state).label}”状态下不能{t.label}（只能在{allowed}时进行）"
