"""The procedure "一报告两审核三公示" as data: states, and for each action the states it may
start from, the state it leads to, the permission it needs and at which level it is taken.
No database here; the services (``services/``) fire the transitions and check the time rules.

    draft ─nominate→ nominated ─(first notice published)→ first_notice
      ─first_review→ first_passed ─(second notice: the city's for a city honour, the
      district's for its own)→ second_notice ─second_review→
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


# --- Names by the honour's level ----------------------------------------------------------
# The second notice and the second review (复审) are held by the campaign's organising union,
# whose level follows the honour's (registry.Honour.Level): the city federation for national
# and city honours, the district (or industry) union for a district's own titles. That stage
# is named after it; every other stage has one name at every level.
ORGANISER = {"national": "市级", "city": "市级", "district": "区级"}
PROCEDURE = (
    "一报告（事迹报告会）",
    "基层公示",
    "初审",
    "{organiser}公示",
    "复审",
    "拟表彰名单公示",
    "批准",
)
# The names that carry the organiser's level, by state or action (the second notice's state
# and the action leading to it share the key ``second_notice``) and by notice stage.
LEVELLED = {"second_notice": "{organiser}公示", "second": "{organiser}公示"}


def named(key: str, default: str, level: str) -> str:
    """The name of a state, action or notice stage (``key``; ``default`` its name where it
    does not depend on the level) in a campaign for an honour of ``level``."""
    template = LEVELLED.get(key)
    return template.format(organiser=ORGANISER[level]) if template else default


def procedure(level: str) -> list[str]:
    """The stages in order, as a campaign for an honour of ``level`` runs them."""
    return [stage.format(organiser=ORGANISER[level]) for stage in PROCEDURE]


def state_label(state: str, level: str) -> str:
    return named(state, State(state).label, level)


def action_label(action: str, level: str) -> str:
    return named(action, TRANSITIONS[action].label, level)


def state_choices(level: str) -> list[tuple[str, str]]:
    return [(value, state_label(value, level)) for value in State.values]


def refusal(action: str, state: str, level: str = "city") -> str | None:
    """Why ``action`` may not be taken in ``state`` (None: it may), named for a campaign
    of an honour of ``level``."""
    t = TRANSITIONS[action]
    if state in t.sources:
        return None
    allowed = "、".join(state_label(s, level) for s in sorted(t.sources))
    return (
        f"“{state_label(state, level)}”状态下不能{action_label(action, level)}"
        f"（只能在{allowed}时进行）"
    )
