"""The workbench (工作台): what waits for the signed-in post, gathered from every app's
``workbench.waiting(actor)``, each item with its link and its deadline in working days;
the post's shortcuts; its latest acts from the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse

import gonghui.contests.workbench
import gonghui.funds.workbench
import gonghui.jobs.workbench
import gonghui.nominations.workbench
import gonghui.perks.workbench
import gonghui.training.workbench
from gonghui.audit.actions import action_label
from gonghui.audit.selectors import recent_of
from gonghui.common import workdays
from gonghui.common.errors import NotFound
from gonghui.common.workbench import Waiting
from gonghui.funds.applications.selectors import my_applications
from gonghui.orgs import access
from gonghui.perks.cards.selectors import member_card, member_person
from gonghui.perks.giveaways.selectors import member_claims
from gonghui.training.courses.selectors import enrolments_of

SOURCES = (
    gonghui.nominations.workbench.waiting,
    gonghui.funds.workbench.waiting,
    gonghui.contests.workbench.waiting,
    gonghui.training.workbench.waiting,
    gonghui.perks.workbench.waiting,
    gonghui.jobs.workbench.waiting,
)

# (label, url name, permission): the post's frequent tasks, offered where it may do them.
SHORTCUTS = (
    ("组织机构", "web:org_list", "orgs.view"),
    ("登记人员", "web:person_create", "people.change"),
    ("推荐评选", "nominations:campaigns", "nominations.nominate"),
    ("发起领取活动", "perks:giveaway_create", "perks.manage"),
    ("办理服务卡", "perks:card_issue", "perks.cards"),
    ("新建竞赛项目", "contests:programme_create", "contests.manage"),
    ("代职工申请资助", "funds:home", "funds.apply"),
    ("新建课程讲座", "training:course_create", "training.manage"),
    ("导入组织树", "web:org_import", "orgs.import"),
    ("查询劳模工匠", "registry:search", "registry.view"),
    ("审计日志", "web:audit_list", "audit.view"),
)


@dataclass(frozen=True)
class Item:
    """A waiting item as the page shows it: its link, and working days to its deadline
    (0: today or past; None: no deadline, or the calendar does not reach it)."""

    waiting: Waiting
    href: str
    days_left: int | None


@dataclass(frozen=True)
class Event:
    at: object
    action: str
    unit: str


def waiting_for(actor) -> list[Item]:
    """Everything waiting for the actor, soonest deadline first (those without last)."""
    today = workdays.today()
    left: dict[date, int | None] = {}
    items = []
    for source in SOURCES:
        for w in source(actor):
            if w.deadline is not None and w.deadline not in left:
                left[w.deadline] = workdays.workdays_left(today, w.deadline)
            href = reverse(w.url, args=w.args) + (f"?{w.query}" if w.query else "")
            items.append(Item(w, href, left.get(w.deadline)))
    return sorted(items, key=lambda i: (i.days_left is None, i.days_left or 0, i.waiting.app))


def shortcuts(actor) -> list[tuple[str, str]]:
    return [(label, reverse(url)) for label, url, perm in SHORTCUTS if access.can(actor, perm)]


def recent(actor) -> list[Event]:
    return [
        Event(e.created_at, action_label(e.action), e.org_unit.name if e.org_unit else "")
        for e in recent_of(actor=actor)
    ]


# --- A member's phone home ------------------------------------------------------------------

MEMBER_ROWS = 5  # of each kind; "all" links to the member page of that kind


@dataclass(frozen=True)
class MemberHome:
    """A member's own things across the programmes: their card, their latest claims (with
    pickup codes), enrolments and aid applications. Nobody else's: all read by the person
    the login belongs to."""

    person: object
    card: object
    claims: list
    enrolments: list
    applications: list


def member_home(user) -> MemberHome:
    person = member_person(user)
    if person is None:
        raise NotFound("当前账号未关联会员信息")
    return MemberHome(
        person=person,
        card=member_card(person),
        claims=list(member_claims(person.pk)[:MEMBER_ROWS]),
        enrolments=enrolments_of(person, limit=MEMBER_ROWS),
        applications=my_applications(user)[:MEMBER_ROWS],
    )
