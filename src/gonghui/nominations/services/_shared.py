"""What the sections of the services share: a nominee's move along ``workflow.TRANSITIONS``
(the post allowed at the workflow's level, the step and its audit event), the rows locked
for it, and the places its quota and rule counters hold."""

from __future__ import annotations

from collections import Counter

from django.db.models import F
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.nominations import rules
from gonghui.nominations.models import Nomination, Quota, RuleCounter, Step
from gonghui.nominations.selectors import step_unit
from gonghui.nominations.workflow import TRANSITIONS
from gonghui.orgs import access

STREAM = "nominations"


def _level(nomination: Nomination) -> str:
    """The level of the campaign's honour: the procedure's stages are named after it."""
    return nomination.campaign.honour.level


def _step(nomination: Nomination, action: str, actor, opinion: str) -> None:
    Step.objects.create(
        nomination=nomination,
        action=action,
        state=nomination.state,
        actor=actor,
        opinion=opinion,
        at=timezone.now(),
    )


def _event(actor, action: Action, obj, grant=None, changes=None, *, org_unit_id=None) -> None:
    """An event of the nominations' stream about ``obj``, by the post ``grant`` names (none
    for a visitor's objection), at ``obj``'s unit unless ``org_unit_id`` names another;
    ``changes`` as ``record`` takes them."""
    record(
        actor=actor,
        action=action,
        obj=obj,
        org_unit_id=org_unit_id,
        changes=changes,
        post_id=grant.post_id if grant else None,
        stream=STREAM,
    )


def _acting_grant(actor, nomination: Nomination, action: str):
    """The post allowed to take ``action`` on ``nomination`` at the workflow's level."""
    t = TRANSITIONS[action]
    where = step_unit(nomination, action)
    grant = access.grant_at(actor, t.permission, where)
    if grant is None:
        if access.can_at(actor, "nominations.view", nomination.org_unit):
            raise Forbidden(f"“{t.label}”须由{where.name}办理")
        raise NotFound()
    return grant


def _counters_take(nomination: Nomination) -> None:
    """Count a nomination against its node's quota and the at-most rules it meets, each by a
    conditional update: simultaneous submissions cannot pass a limit together."""
    if not Quota.objects.filter(pk=nomination.quota_id, used__lt=F("allowed")).update(
        used=F("used") + 1
    ):
        quota = Quota.objects.get(pk=nomination.quota_id)
        raise ValidationFailed(
            {"quota": f"{quota.org_unit.name}的名额已用完（{quota.used}/{quota.allowed}）"}
        )
    for counter in _counters_of(nomination, _counters_near([nomination])):
        if not RuleCounter.objects.filter(pk=counter.pk, used__lt=F("allowed")).update(
            used=F("used") + 1
        ):
            raise ValidationFailed(
                {"rule": f"超出结构比例：{counter.rule.label}（最多 {counter.allowed} 人）"}
            )


def _counters_release(nominations: list[Nomination]) -> None:
    """Give back the places ``nominations`` held: one update per quota, then one per rule
    counter, each in pk order as a rebuild locks them. The counters are read once the
    quotas are held, so none a rebuild has just written is missed."""
    for pk, count in sorted(Counter(n.quota_id for n in nominations).items()):
        Quota.objects.filter(pk=pk).update(used=F("used") - count)
    near = _counters_near(nominations)
    held = Counter(c.pk for n in nominations for c in _counters_of(n, near))
    for pk, count in sorted(held.items()):
        RuleCounter.objects.filter(pk=pk).update(used=F("used") - count)


def _counters_near(nominations: list[Nomination]) -> list[RuleCounter]:
    """The rule counters that may count ``nominations`` (their nodes' and campaigns'), in
    one query."""
    return list(
        RuleCounter.objects.filter(
            rule__campaign__in={n.campaign_id for n in nominations},
            org_unit_id__in={n.quota.org_unit_id for n in nominations}
            | {n.campaign.org_unit_id for n in nominations},
        )
        .select_related("rule")
        .order_by("pk")  # the order a rebuild locks them in: takes and releases agree
    )


def _counters_of(nomination: Nomination, near: list[RuleCounter]) -> list[RuleCounter]:
    """Of ``near``, the rule counters that count ``nomination``: its node's (per-node
    rules) and its campaign's, for the rules it meets."""
    campaign, node = nomination.campaign, nomination.quota.org_unit_id
    return [
        counter
        for counter in near
        if counter.rule.campaign_id == campaign.pk
        and rules.matches(counter.rule, nomination)
        and counter.org_unit_id == (node if counter.rule.per_node else campaign.org_unit_id)
    ]


def _locked(nominations) -> list[Nomination]:
    """The nominations, locked (their rows only: a rebuild, holding every quota while it
    writes them, would otherwise wait on a campaign or unit locked here by a submission
    that waits on one of those quotas)."""
    pks = list(dict.fromkeys(n.pk for n in nominations))  # each nominee once
    rows = {
        n.pk: n
        for n in Nomination.objects.select_for_update(of=("self",))
        .select_related(
            "campaign__honour", "campaign__org_unit", "quota__org_unit", "org_unit", "person"
        )
        .filter(pk__in=pks)
    }
    return [rows[pk] for pk in pks]


def _move(nomination: Nomination, action: str, actor, grant, opinion: str = "") -> None:
    nomination.state = TRANSITIONS[action].target
    nomination.save(update_fields=["state", "live", "reason", "updated_at"])
    _step(nomination, action, actor, opinion)
    _event(
        actor,
        Action(f"nominations.{action}"),
        nomination,
        grant,
        {"state": [None, nomination.state]},
    )
