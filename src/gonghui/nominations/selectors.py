"""Reads of campaigns, nominees, notices and objections: staff within their scope, the
public only what is published; what each staff page offers the actor; the calendar's years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import chain

from django.db.models import Q, QuerySet
from django.utils import timezone

from gonghui.common.errors import NotFound
from gonghui.common.formats import cn_date
from gonghui.common.models import CalendarYear
from gonghui.common.workdays import end_of_day
from gonghui.nominations import rules
from gonghui.nominations.models import Campaign, Nomination, Notice, Objection, Quota
from gonghui.nominations.workflow import (
    AFTER_NOTICE,
    CITY,
    ENDED,
    NODE,
    NOTICE_OF,
    TRANSITIONS,
    UNIT,
    State,
    Transition,
    action_label,
)
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person


def campaign_list(*, actor, org: OrgUnit | None = None) -> QuerySet[Campaign]:
    """Campaigns the actor takes part in: organised in their scope, or with a quota node in
    their scope or above their post (a grassroots union nominates under its district).
    ``org`` (a node of the tree panel) keeps those organised in its subtree or giving a
    quota to a unit in it."""
    if not access.can(actor, "nominations.view"):
        return Campaign.objects.none()
    scope = access.scope_q(actor, "nominations.view")
    above = Q(quotas__org_unit__path__in=access.post_ancestors(actor, "nominations.view"))
    quota_scope = access.scope_q(actor, "nominations.view", via="quotas__org_unit")
    ids = Campaign.objects.filter(scope | above | quota_scope)
    if org is not None:
        ids = ids.filter(
            access.subtree_q(org, via="org_unit") | access.subtree_q(org, via="quotas__org_unit")
        )
    ids = ids.values("pk")
    return (
        Campaign.objects.filter(pk__in=ids)
        .select_related("honour", "org_unit")
        .order_by("-year", "honour__sort", "pk")
    )


def quota_lines(*, actor, campaign: Campaign):
    """The quota page's lines the actor may see (every node for the city; a district its
    own; a grassroots union its district's), and the campaign-wide rules."""
    nodes, overall = rules.quota_status(campaign)
    above = access.post_ancestors(actor, "nominations.view")
    shown = [
        n
        for n in nodes
        if n.quota.org_unit.path in above
        or access.can_at(actor, "nominations.view", n.quota.org_unit)
    ]
    return shown, overall


def campaign_get(*, actor, pk) -> Campaign:
    try:
        return campaign_list(actor=actor).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def campaign_managed(*, actor, pk) -> Campaign:
    """A campaign the actor organises (manages at its union), else ``NotFound``."""
    return access.get_or_404(
        Campaign.objects.select_related("honour", "org_unit"),
        actor,
        "nominations.manage",
        pk=pk,
    )


def quota_get(*, actor, campaign: Campaign, pk) -> Quota:
    """A quota node of ``campaign`` in the actor's scope, else ``NotFound``."""
    quota = campaign.quotas.select_related("org_unit").filter(pk=pk).first()
    if quota is None or not access.can_at(actor, "nominations.view", quota.org_unit):
        raise NotFound()
    return quota


def campaign_notices(*, campaign: Campaign) -> QuerySet[Notice]:
    """The campaign's latest notices, with their publishers."""
    return campaign.notices.select_related("org_unit").order_by("-published_at")[:20]


@dataclass(frozen=True)
class CampaignRights:
    """What the campaign page offers the actor."""

    nominate: bool  # puts people forward (a post holding nominations.nominate)
    manage: bool  # organises this campaign: quotas, rules, opening
    review: bool  # reviews somewhere, or approves at the organising union
    notice_stages: list[tuple[str, str]]  # the notices the actor may publish: (stage, name)
    steps: list[tuple[str, str]]  # the review steps the actor may take here: (action, name)
    final_list: bool  # has the final list (表彰名单) made: approves at the organising union


def campaign_rights(*, actor, campaign: Campaign) -> CampaignRights:
    level = campaign.honour.level
    return CampaignRights(
        nominate=access.can(actor, "nominations.nominate"),
        manage=access.can_at(actor, "nominations.manage", campaign.org_unit),
        review=access.can(actor, "nominations.review")
        or access.can_at(actor, "nominations.approve", campaign.org_unit),
        notice_stages=[
            (s, Notice.stage_label(s, level))
            for a, s in NOTICE_OF.items()
            if may_take(actor, campaign, TRANSITIONS[a])
        ],
        steps=[
            (a, action_label(a, level))
            for a in AFTER_NOTICE
            if may_take(actor, campaign, TRANSITIONS[a])
        ],
        final_list=may_have_final_list(actor=actor, campaign=campaign),
    )


def may_have_final_list(*, actor, campaign: Campaign) -> bool:
    """Who may have a campaign's final list made: its approvers at the organising union."""
    return access.can_at(actor, "nominations.approve", campaign.org_unit)


def may_take(actor, campaign: Campaign, transition: Transition) -> bool:
    """Whether the actor holds the transition's permission where it is taken (the
    organising union for the city's steps): for the offered buttons and the workbench."""
    if transition.level == CITY:
        return access.can_at(actor, transition.permission, campaign.org_unit)
    return access.can(actor, transition.permission)


def nomination_list(*, actor, campaign: Campaign, state: str = "") -> QuerySet[Nomination]:
    """Nominees the actor may see: nominated in their scope (a district sees its own
    grassroots unions' nominees; the city sees all)."""
    qs = access.restrict(
        campaign.nominations.select_related("person", "org_unit", "quota__org_unit"),
        actor,
        "nominations.view",
    )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("quota__org_unit__path", "person__name_sort", "pk")


def nomination_get(*, actor, pk) -> Nomination:
    return access.get_or_404(
        Nomination.objects.select_related(
            "campaign__honour", "campaign__org_unit", "person", "org_unit", "quota__org_unit"
        ),
        actor,
        "nominations.view",
        pk=pk,
    )


def nominations_chosen(*, actor, campaign: Campaign, ids: set[int]) -> list[Nomination]:
    """The nominees of ``campaign`` with these ids (ticked in a list, or named by the API),
    every one in the actor's scope, else ``NotFound``."""
    found = list(nomination_list(actor=actor, campaign=campaign).filter(pk__in=ids))
    if len(found) != len(ids):
        raise NotFound()
    return found


def nominating_unit(*, actor) -> OrgUnit:
    """The union the actor nominates from: the unit of their first post holding
    ``nominations.nominate``, else ``NotFound``."""
    grant = access.home_grant(actor, "nominations.nominate")
    if grant is None:
        raise NotFound()
    return OrgUnit.objects.get(pk=grant.unit_id)


def candidates(*, org_unit: OrgUnit) -> QuerySet[Person]:
    """The people ``org_unit`` may put forward: its own and its lower unions' (records
    merged away excluded), in name order; the nominate page's options (the save checks the
    one chosen, ``services.nominating``)."""
    return Person.objects.filter(
        access.subtree_q(org_unit, via="org_unit"), merged_into__isnull=True
    ).order_by("name_sort", "pk")


@dataclass(frozen=True)
class NomineeRights:
    """What a nominee's page offers the actor."""

    withdraw: bool  # the nominating union, until the first review
    review: bool  # the quota node's reviewers
    steps: list[tuple[str, str]]  # the review steps open to the actor now: (action, name)


def nomination_rights(*, actor, nomination: Nomination) -> NomineeRights:
    level = nomination.campaign.honour.level
    return NomineeRights(
        withdraw=nomination.state in TRANSITIONS["withdraw"].sources
        and access.can_at(actor, "nominations.nominate", nomination.org_unit),
        review=access.can_at(actor, "nominations.review", nomination.quota.org_unit),
        # Only the steps the nominee's state leads to, by a post that may take them there.
        steps=[
            (a, action_label(a, level))
            for a in AFTER_NOTICE
            if nomination.state in TRANSITIONS[a].sources
            and access.can_at(actor, TRANSITIONS[a].permission, step_unit(nomination, a))
        ],
    )


def step_unit(nomination: Nomination, action: str) -> OrgUnit:
    """Where ``action`` is taken on ``nomination``: at the nominating unit, the quota node
    (the first review) or the campaign's organising union (the workflow's ``level``)."""
    return {
        UNIT: nomination.org_unit,
        NODE: nomination.quota.org_unit,
        CITY: nomination.campaign.org_unit,
    }[TRANSITIONS[action].level]


@dataclass
class Entry:
    """One line of a nominee's timeline."""

    at: object
    kind: str  # step, notice, objection
    title: str
    detail: str = ""
    by: str = ""


def timeline(*, actor, nomination: Nomination) -> list[Entry]:
    """Every step, opinion, notice and objection in order, for staff. Objectors are named
    only to the reviewing level."""
    level = nomination.campaign.honour.level
    labels = {a: action_label(a, level) for a in TRANSITIONS}
    labels |= {"create": "登记", "clearance": "部门意见"}
    steps = [
        Entry(s.at, "step", labels.get(s.action, s.action), s.opinion, _who(s.actor))
        for s in nomination.steps.select_related("actor")
        # Notices and objections are listed from their own records, with their details.
        if s.action not in NOTICE_OF and s.action != "objection"
    ]
    notices = [
        Entry(
            n.published_at,
            "notice",
            n.get_stage_display(),
            f"{n.title}：{cn_date(n.starts_on)} 至 {cn_date(n.ends_on)}",
            n.org_unit.name,
        )
        for n in nomination.notices.select_related("org_unit", "campaign__honour")
    ]
    objections = []
    for o in nomination.objections.select_related(*REVIEWING_UNIT_RELATED):
        who = (
            "匿名"
            if o.anonymous
            else (o.name if may_see_objector(actor, o) else "实名（仅核查单位可见）")
        )
        detail = f"{o.get_channel_display()}，{who}：{o.text}"
        if o.finding:
            detail += f"；结论：{o.get_finding_display()}　{o.finding_note}"
        elif o.status == Objection.Status.INADMISSIBLE:
            detail += f"；不予受理：{o.triage_reason}"
        objections.append(
            Entry(o.filed_at, "objection", f"异议（{o.get_status_display()}）", detail)
        )
    return sorted(chain(steps, notices, objections), key=lambda e: e.at)


def _who(user) -> str:
    return user.get_full_name() or user.username


# What ``reviewing_unit`` reads of an objection: select them with it.
REVIEWING_UNIT_RELATED = ("notice__campaign__org_unit", "nomination__quota__org_unit")


def reviewing_unit(objection: Objection) -> OrgUnit:
    """Who deals with an objection: the quota node for the first notice, else the city."""
    if objection.notice.stage == Notice.Stage.FIRST:
        return objection.nomination.quota.org_unit
    return objection.notice.campaign.org_unit


def may_see_objector(actor, objection: Objection) -> bool:
    perm = (
        "nominations.review"
        if objection.notice.stage == Notice.Stage.FIRST
        else ("nominations.approve")
    )
    return access.can_at(actor, perm, reviewing_unit(objection))


def may_reveal_contact(actor, objection: Objection) -> bool:
    """The reviewing level, with ``people.view_pii`` there, may see an objector's full
    contact (each view audited by ``services.objection_contact_reveal``)."""
    return may_see_objector(actor, objection) and access.can_at(
        actor, "people.view_pii", reviewing_unit(objection)
    )


def objection_list(*, actor, campaign: Campaign) -> list[Objection]:
    """Objections the actor handles (the reviewing level), newest first."""
    rows = Objection.objects.filter(nomination__campaign=campaign).select_related(
        *REVIEWING_UNIT_RELATED, "nomination__person"
    )
    return [o for o in rows.order_by("-filed_at") if may_see_objector(actor, o)]


def nomination_objections(*, actor, nomination: Nomination) -> list[Objection]:
    """The objections to ``nomination`` the actor handles (the reviewing level)."""
    return [
        o
        for o in nomination.objections.select_related(*REVIEWING_UNIT_RELATED)
        if may_see_objector(actor, o)
    ]


def objection_get(*, actor, pk) -> Objection:
    """An objection the actor handles, else ``NotFound``."""
    objection = Objection.objects.select_related(*REVIEWING_UNIT_RELATED).filter(pk=pk).first()
    if objection is None or not may_see_objector(actor, objection):
        raise NotFound()
    return objection


# --- The working-day calendar (its page) ------------------------------------------------------


@dataclass(frozen=True)
class CalendarRights:
    view: bool  # staff who take part in campaigns, or enter the calendar
    edit: bool  # the city's, who enter a year's schedule


def calendar_rights(*, actor) -> CalendarRights:
    return CalendarRights(
        view=access.can(actor, "nominations.view") or access.can(actor, "calendar.manage"),
        edit=access.can_citywide(actor, "calendar.manage"),
    )


def calendar_years() -> QuerySet[CalendarYear]:
    """The years the calendar knows, seeded or entered by staff."""
    return CalendarYear.objects.all()


# --- Notices open for objections --------------------------------------------------------------


def notice_open(notice: Notice, *, at=None) -> bool:
    """Whether ``notice`` is in its period (from its first day to the end of its last)."""
    at = at or timezone.now()
    start = end_of_day(notice.starts_on - timedelta(days=1))
    return start <= at < notice.closes_at


def open_notices(*, nomination: Nomination) -> list[Notice]:
    """The notices listing ``nomination`` that are in their period now."""
    return [n for n in nomination.notices.all() if notice_open(n)]


# --- Public ---------------------------------------------------------------------------------


def public_notices() -> QuerySet[Notice]:
    """Published notices, open ones first."""
    return Notice.objects.select_related("campaign__honour", "org_unit").order_by(
        "-closes_at", "-pk"
    )


def public_notice(pk) -> Notice:
    try:
        return public_notices().get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


OUTCOMES = ENDED | {State.APPROVED}


def public_nominee(notice: Notice, pk) -> tuple[Nomination, list[Notice], str]:
    """A nominee as the public may follow them: only through a notice that listed them;
    the notices they appeared in and the outcome once there is one."""
    nomination = notice.nominations.select_related("person").filter(pk=pk).first()
    if nomination is None:
        raise NotFound()
    notices = list(nomination.notices.order_by("starts_on", "pk"))
    outcome = nomination.get_state_display() if nomination.state in OUTCOMES else "评选中"
    return nomination, notices, outcome


def objection_by_reference(reference: str) -> Objection:
    """What an objector may see of their own objection, by its reference."""
    text = (reference or "").strip().upper()[:24]
    found = (
        Objection.objects.select_related("notice", "nomination__person")
        .filter(reference=text)
        .first()
    )
    if found is None:
        raise NotFound("没有这个查询码")
    return found
