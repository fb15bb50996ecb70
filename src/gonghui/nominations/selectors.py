"""Reads of campaigns, nominees, notices and objections: staff within their scope, the
public only what is published."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from django.db.models import Q, QuerySet

from gonghui.common.errors import NotFound
from gonghui.common.formats import cn_date
from gonghui.nominations import rules
from gonghui.nominations.models import Campaign, Nomination, Notice, Objection
from gonghui.nominations.services import REVIEWING_UNIT_RELATED, may_see_objector
from gonghui.nominations.workflow import ENDED, NOTICE_OF, State
from gonghui.orgs import access


def campaign_list(*, actor) -> QuerySet[Campaign]:
    """Campaigns the actor takes part in: organised in their scope, or with a quota node in
    their scope or above their post (a grassroots union nominates under its district)."""
    if not access.can(actor, "nominations.view"):
        return Campaign.objects.none()
    scope = access.scope_q(actor, "nominations.view")
    above = Q(quotas__org_unit__path__in=access.post_ancestors(actor, "nominations.view"))
    quota_scope = access.scope_q(actor, "nominations.view", via="quotas__org_unit")
    ids = Campaign.objects.filter(scope | above | quota_scope).values("pk")
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
    from gonghui.nominations.workflow import TRANSITIONS, action_label

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


def objection_list(*, actor, campaign: Campaign) -> list[Objection]:
    """Objections the actor handles (the reviewing level), newest first."""
    rows = Objection.objects.filter(nomination__campaign=campaign).select_related(
        *REVIEWING_UNIT_RELATED, "nomination__person"
    )
    return [o for o in rows.order_by("-filed_at") if may_see_objector(actor, o)]


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
