"""Setting up a campaign: the campaign, its quotas, its structure rules (and the counters
they keep), opening it for nominations."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from gonghui.audit.actions import Action
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.nominations import rules
from gonghui.nominations.models import (
    CLEARANCE_DEPARTMENTS,
    DEFAULT_NOTICE_FIELDS,
    NOTICE_FIELDS,
    Campaign,
    Quota,
    Rule,
    RuleCounter,
)
from gonghui.nominations.services._shared import _event
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.registry.models import Category, Honour

QUOTA_MAX = 10_000  # places for one node: far above any real quota, well inside the columns
UNLIMITED = 2**31 - 1  # an at-least rule's counter counts without a ceiling


@transaction.atomic
def campaign_create(
    *,
    actor,
    honour: Honour,
    year: int,
    nominate_from: date,
    nominate_until: date,
    name: str = "",
    org_unit: OrgUnit | None = None,
    notice_days: int = 5,
    notice_calendar_days: bool = False,
    notice_fields: list[str] | None = None,
    objection_contact: str = "",
    clearance_departments: list[str] | None = None,
) -> Campaign:
    conferring = honour.conferring_unit
    if org_unit is not None and org_unit.pk != conferring.pk:
        # The union that confers the honour runs its selection (its stages follow its level).
        raise ValidationFailed({"org_unit": f"“{honour.name}”的评选由{conferring.name}组织"})
    org_unit = conferring
    grant = access.require_at(actor, "nominations.manage", org_unit)
    fields = list(dict.fromkeys(notice_fields or DEFAULT_NOTICE_FIELDS))
    errors = {}
    if nominate_until < nominate_from:
        errors["nominate_until"] = "推荐截止日期不能早于开始日期"
    if not 1 <= notice_days <= 30:
        errors["notice_days"] = "公示期应为1至30天"
    if bad := [f for f in fields if f not in NOTICE_FIELDS]:
        errors["notice_fields"] = f"公示内容不能包含：{'、'.join(bad)}"
    if year < honour.first_year:
        errors["year"] = f"“{honour.name}”自 {honour.first_year} 年起评选"
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                honour=honour,
                year=year,
                name=name.strip() or f"{year}年{honour.name}评选",
                org_unit=org_unit,
                nominate_from=nominate_from,
                nominate_until=nominate_until,
                notice_days=notice_days,
                notice_calendar_days=notice_calendar_days,
                notice_fields=fields,
                objection_contact=objection_contact.strip(),
                clearance_departments=list(clearance_departments or CLEARANCE_DEPARTMENTS),
            )
    except IntegrityError:
        raise Conflict(f"{year}年已有“{honour.name}”的评选活动") from None
    _event(actor, Action.NOMINATIONS_CAMPAIGN_CREATE, campaign, grant)
    return campaign


def _manage(actor, campaign: Campaign):
    return access.require_at(
        actor, "nominations.manage", campaign.org_unit, view_perm="nominations.view"
    )


@transaction.atomic
def quota_set(*, actor, campaign: Campaign, org_unit: OrgUnit, allowed: int) -> Quota:
    """Give a node (with its subtree) ``allowed`` places; never below the places in use."""
    grant = _manage(actor, campaign)
    if not campaign.org_unit.contains(org_unit) or org_unit == campaign.org_unit:
        raise ValidationFailed({"org_unit": "推荐单位应为组织单位的下级工会"})
    if not 0 <= allowed <= QUOTA_MAX:
        raise ValidationFailed({"allowed": f"名额应为0至{QUOTA_MAX}"})
    _counters_lock(campaign)  # before the quota's own row: two edits queue, never deadlock
    quota, _ = Quota.objects.get_or_create(
        campaign=campaign, org_unit=org_unit, defaults={"allowed": allowed}
    )
    if allowed < quota.used:
        raise ValidationFailed({"allowed": f"已推荐 {quota.used} 人，名额不能少于此数"})
    before = quota.allowed
    quota.allowed = allowed
    quota.save(update_fields=["allowed"])
    counters_rebuild(campaign)
    _event(actor, Action.NOMINATIONS_QUOTA_SET, quota, grant, {"allowed": [before, allowed]})
    return quota


@transaction.atomic
def rule_add(
    *,
    actor,
    campaign: Campaign,
    kind: str,
    attribute: str,
    value: str = "",
    percent: int = 0,
    per_node: bool = False,
) -> Rule:
    grant = _manage(actor, campaign)
    errors = {}
    if attribute == Rule.Attribute.RANK:  # the Chinese label is accepted too
        value = {str(label): code for code, label in Person.Rank.choices}.get(value, value)
    if kind not in Rule.Kind.values:
        errors["kind"] = "规则应为：" + "、".join(Rule.Kind.labels)
    if attribute not in Rule.Attribute.values:
        errors["attribute"] = "条件应为：" + "、".join(Rule.Attribute.labels)
    if attribute == Rule.Attribute.RANK and value not in Person.Rank.values:
        errors["value"] = "岗位类别应为：" + "、".join(Person.Rank.labels)
    if attribute == Rule.Attribute.CATEGORY and not Category.objects.filter(name=value).exists():
        errors["value"] = f"类别目录中没有“{value}”"
    if kind != Rule.Kind.EXCLUDED and not 0 < percent <= 100:
        errors["percent"] = "比例应在1%至100%之间"
    if errors:
        raise ValidationFailed(errors)
    rule = Rule.objects.create(
        campaign=campaign,
        kind=kind,
        attribute=attribute,
        value=value if attribute != Rule.Attribute.FRONT_LINE else "",
        percent=percent if kind != Rule.Kind.EXCLUDED else 0,
        per_node=per_node,
    )
    counters_rebuild(campaign)
    live = campaign.nominations.filter(rules.COUNTED)
    if kind == Rule.Kind.EXCLUDED and live.filter(rules.condition(rule)).exists():
        raise ValidationFailed({"kind": f"已有被推荐人属于“{rule.label}”，不能增加此规则"})
    _event(
        actor,
        Action.NOMINATIONS_RULE_ADD,
        rule,
        grant,
        {"rule": [None, rule.label]},
        org_unit_id=campaign.org_unit_id,
    )
    return rule


def _counters_lock(campaign: Campaign) -> None:
    """Lock the campaign's quotas, then its rule counters, each in pk order (a submission
    or a release takes its quota before its counters, so the orders agree)."""
    for rows in (
        Quota.objects.filter(campaign=campaign),
        RuleCounter.objects.filter(rule__campaign=campaign),
    ):
        list(rows.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))


def counters_rebuild(campaign: Campaign) -> None:
    """Recount every counter from the nominations: each quota's places in use, and for each
    rule (at least / at most) one counter per quota node (per-node rules) or one for the
    campaign, the at-most ones with their limits following the quotas. Submissions keep
    them in step afterwards (``_shared._counters_take`` / ``_counters_release``). The
    counters are locked first: a submission waits for the plain numbers written here
    instead of having its +1 written over."""
    _counters_lock(campaign)
    nodes, overall = rules.quota_recount(campaign)
    Quota.objects.bulk_update([Quota(pk=n.quota.pk, used=n.total) for n in nodes], ["used"])
    total = sum(n.quota.allowed for n in nodes)
    places = [(n.quota.org_unit.pk, n.quota.allowed, n.rules) for n in nodes]
    places.append((campaign.org_unit_id, total, overall))
    for node_id, allowed, statuses in places:
        for status in statuses:
            rule = status.rule
            if rule.kind == Rule.Kind.EXCLUDED:
                continue
            cap = rules.limit(rule, allowed) if rule.kind == Rule.Kind.AT_MOST else UNLIMITED
            if status.count > cap:
                raise ValidationFailed(
                    {"allowed": f"“{rule.label}”已有 {status.count} 人，名额调整后只允许 {cap} 人"}
                )
            RuleCounter.objects.update_or_create(
                rule=rule, org_unit_id=node_id, defaults={"allowed": cap, "used": status.count}
            )


@transaction.atomic
def campaign_open(*, actor, campaign: Campaign) -> Campaign:
    grant = _manage(actor, campaign)
    if campaign.status != Campaign.Status.DRAFT:
        raise Conflict("活动已开始或已结束")
    if not campaign.quotas.exists():
        raise ValidationFailed({"quotas": "请先分配名额"})
    campaign.status = Campaign.Status.OPEN
    campaign.save(update_fields=["status"])
    _event(actor, Action.NOMINATIONS_CAMPAIGN_OPEN, campaign, grant)
    return campaign
