"""What waits in the campaigns for a post (工作台): nominees at a stage the post moves on,
objections to triage, lists to report, notices closing within three working days."""

from __future__ import annotations

from django.db.models import Count, Exists

from gonghui.common import workdays
from gonghui.common.workbench import Waiting, capped_count
from gonghui.nominations.models import Campaign, Notice, Objection, Quota
from gonghui.nominations.selectors import (
    REVIEWING_UNIT_RELATED,
    campaign_list,
    may_see_objector,
    may_take,
    nomination_list,
)
from gonghui.nominations.workflow import TRANSITIONS, UNIT, action_label
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit

APP = "推荐评选"
# The forward steps of the procedure a post takes on nominees waiting in their one source
# state (withdrawals, rejections and removals are decisions inside these queues).
STEPS = ("first_notice", "first_pass", "second_notice", "second_pass", "final_notice", "approve")
# A queue is named after the step it waits for; a review's pass is one of its outcomes.
QUEUE_NAMES = {"first_pass": "初审", "second_pass": "复审"}
NOTICE_AHEAD = 3  # working days: notices closing this soon are shown


def waiting(actor) -> list[Waiting]:
    if not access.can(actor, "nominations.view"):
        return []
    items: list[Waiting] = []
    campaigns = list(campaign_list(actor=actor).filter(status=Campaign.Status.OPEN))
    items += _queues(actor, campaigns)
    items += _objections(actor, campaigns)
    items += _lists_to_report(actor, campaigns)
    items += _notices_closing(actor)
    return items


def _queues(actor, campaigns: list[Campaign]) -> list[Waiting]:
    """The nominees at each step the actor takes, by campaign: which queues hold anyone is
    asked in one query (an indexed ``EXISTS`` a queue), and only those are counted."""
    # A step taken at the nominating unit (its first notice) is a grassroots union's own:
    # the levels above hold the permission but nominate nobody of their own there.
    at_unit = OrgUnit.Level.GRASSROOTS in access.post_levels(actor, "nominations.nominate")
    queues = [
        (c, action, state)
        for c in campaigns
        for action in STEPS
        for t in (TRANSITIONS[action],)
        for state in t.sources
        if may_take(actor, c, t) and (t.level != UNIT or at_unit)
    ]
    if not queues:
        return []
    rows = {
        f"q{i}": nomination_list(actor=actor, campaign=c, state=state)
        for i, (c, _, state) in enumerate(queues)
    }
    held = (
        Campaign.objects.filter(pk=campaigns[0].pk)
        .values(**{key: Exists(qs.order_by().values("pk")) for key, qs in rows.items()})
        .get()
    )
    found = []
    for i, (c, action, state) in enumerate(queues):
        if held[f"q{i}"]:
            found.append(
                Waiting(
                    APP,
                    f"{c.name}：待{_queue_name(action, c)}",
                    capped_count(rows[f"q{i}"]),
                    "nominations:campaign",
                    (c.pk,),
                    f"state={state}",
                )
            )
    return found


def _queue_name(action: str, campaign: Campaign) -> str:
    return QUEUE_NAMES.get(action) or action_label(action, campaign.honour.level)


def _objections(actor, campaigns: list[Campaign]) -> list[Waiting]:
    """Objections received and not yet triaged, in the open campaigns, that the actor's
    level handles (``may_see_objector``: the reviewing level), by campaign."""
    if not campaigns:
        return []
    received = Objection.objects.filter(
        nomination__campaign__in=campaigns, status=Objection.Status.RECEIVED
    ).select_related(*REVIEWING_UNIT_RELATED)
    by_campaign: dict[int, list[Objection]] = {}
    for o in received:
        if may_see_objector(actor, o):
            by_campaign.setdefault(o.notice.campaign_id, []).append(o)
    return [
        Waiting(
            APP,
            f"{c.name}：异议待受理",
            len(found),
            "nominations:campaign",
            (c.pk,),
            deadline=min(o.notice.ends_on for o in found),
        )
        for c in campaigns
        if (found := by_campaign.get(c.pk))
    ]


def _lists_to_report(actor, campaigns: list[Campaign]) -> list[Waiting]:
    """Quota nodes in the actor's review scope whose list is not reported yet; the deadline
    is the campaign's nominating deadline."""
    if not campaigns or not access.can(actor, "nominations.review"):
        return []
    by_campaign = {c.pk: c for c in campaigns}
    counts = (
        Quota.objects.filter(campaign__in=campaigns, submitted_at__isnull=True)
        .filter(access.scope_q(actor, "nominations.review"))
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        Waiting(
            APP,
            f"{by_campaign[pk].name}：推荐名单待报送",
            n,
            "nominations:campaign",
            (pk,),
            deadline=by_campaign[pk].nominate_until,
        )
        for pk, n in counts
    ]


def _notices_closing(actor) -> list[Waiting]:
    """Notices published in the actor's scope that close within ``NOTICE_AHEAD`` working
    days (today included), each counted by its nominees."""
    today = workdays.today()
    try:
        until = workdays.add_workdays(today, NOTICE_AHEAD)
    except workdays.CalendarMissing:
        return []
    notices = (
        Notice.objects.filter(
            access.scope_q(actor, "nominations.view"), ends_on__gte=today, ends_on__lte=until
        )
        .annotate(listed=Count("nominations"))  # one query, not a count per notice
        .order_by("ends_on", "pk")[:10]
    )
    return [
        Waiting(
            APP,
            f"公示即将截止：{n.title}",
            n.listed,
            "nominations:notice",
            (n.pk,),
            deadline=n.ends_on,
        )
        for n in notices
    ]
