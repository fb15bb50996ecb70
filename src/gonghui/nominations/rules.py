"""Structure rules (结构比例) evaluated: which nominations a rule counts, the limits of the
at-most rules, and the state of every rule for the quota page, in one grouped query."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from gonghui.nominations.workflow import ENDED, State
from gonghui.people.models import Person

MANAGER_RANKS = frozenset(
    {
        Person.Rank.MANAGER,
        Person.Rank.ENTERPRISE_HEAD,
        Person.Rank.OFFICIAL,
        Person.Rank.SENIOR_OFFICIAL,
    }
)


def label(rule) -> str:
    what = rule.get_attribute_display()
    if rule.attribute == rule.Attribute.RANK:
        what = Person.Rank(rule.value).label if rule.value in Person.Rank.values else rule.value
    elif rule.attribute == rule.Attribute.CATEGORY:
        what = rule.value
    where = "各推荐单位" if rule.per_node else "全部名单"
    if rule.kind == rule.Kind.EXCLUDED:
        return f"{what}不得推荐"
    return f"{where}中{what}{rule.get_kind_display()} {rule.percent}%"


def condition(rule, prefix: str = "") -> Q:
    """The nominations a rule counts, as a filter."""
    if rule.attribute == rule.Attribute.FRONT_LINE:
        return Q(**{f"{prefix}is_front_line": True})
    if rule.attribute == rule.Attribute.RANK:
        return Q(**{f"{prefix}rank": rule.value})
    return Q(**{f"{prefix}categories__contains": f"|{rule.value}|"})


def matches(rule, nomination) -> bool:
    if rule.attribute == rule.Attribute.FRONT_LINE:
        return nomination.is_front_line
    if rule.attribute == rule.Attribute.RANK:
        return nomination.rank == rule.value
    return rule.value in nomination.category_list


def limit(rule, base: int) -> int:
    """How many an at-most rule allows out of ``base`` places (rounded down)."""
    return base * rule.percent // 100


# Nominations that count: put forward and not ended.
COUNTED = ~Q(state__in=[State.DRAFT, *ENDED])


@dataclass
class RuleStatus:
    rule: object
    count: int
    total: int
    ok: bool

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


@dataclass(frozen=True)
class UnitRef:
    pk: int
    name: str
    path: str


@dataclass(frozen=True)
class QuotaLine:
    """A quota as the quota page shows it (read as plain values: no model instances)."""

    pk: int
    allowed: int
    used: int
    submitted_at: object
    org_unit: UnitRef


@dataclass
class NodeStatus:
    quota: QuotaLine
    total: int
    rules: list[RuleStatus]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rules)


def rule_ok(rule, count: int, total: int, allowed: int) -> bool:
    if rule.kind == rule.Kind.EXCLUDED:
        return count == 0
    if rule.kind == rule.Kind.AT_MOST:
        return count <= limit(rule, allowed)
    return total == 0 or count * 100 >= rule.percent * total


def quota_status(campaign) -> tuple[list[NodeStatus], list[RuleStatus]]:
    """Used / allowed and every rule's state per quota node and overall, from the counters
    the submissions keep (the same numbers the database's limits guard): no nominee is
    read. ``quota_recount`` is the same from the nominations themselves."""
    from gonghui.nominations.models import RuleCounter

    rules = list(campaign.rules.all())
    quotas = _quota_lines(campaign)
    counters = {
        (rule_id, unit_id): used
        for rule_id, unit_id, used in RuleCounter.objects.filter(
            rule__campaign=campaign
        ).values_list("rule_id", "org_unit_id", "used")
    }
    nodes = [
        NodeStatus(
            quota,
            quota.used,
            [
                _status(r, counters.get((r.pk, quota.org_unit.pk), 0), quota.used, quota.allowed)
                for r in rules
                if r.per_node
            ],
        )
        for quota in quotas.values()
    ]
    total = sum(q.used for q in quotas.values())
    allowed = sum(q.allowed for q in quotas.values())
    overall = [
        _status(r, counters.get((r.pk, campaign.org_unit_id), 0), total, allowed)
        for r in rules
        if not r.per_node
    ]
    return nodes, overall


def _status(rule, count: int, total: int, allowed: int) -> RuleStatus:
    return RuleStatus(rule, count, total, rule_ok(rule, count, total, allowed))


def _quota_lines(campaign) -> dict[int, QuotaLine]:
    return {
        pk: QuotaLine(pk, allowed, used, submitted_at, UnitRef(unit_pk, name, path))
        for pk, allowed, used, submitted_at, unit_pk, name, path in campaign.quotas.order_by(
            "org_unit__path"
        ).values_list(
            "pk",
            "allowed",
            "used",
            "submitted_at",
            "org_unit_id",
            "org_unit__name",
            "org_unit__path",
        )
    }


def quota_recount(campaign) -> tuple[list[NodeStatus], list[RuleStatus]]:
    """``quota_status`` counted from the nominations: one query grouped by quota, one
    conditional count per rule (rebuilds the counters; checks them in tests)."""
    rules = list(campaign.rules.all())
    quotas = _quota_lines(campaign)
    counts = {f"r{r.pk}": Count("pk", filter=condition(r)) for r in rules}
    # quota -> (total, count of each rule in ``rules`` order), as plain tuples
    rows = {
        quota: counted
        for quota, *counted in campaign.nominations.filter(COUNTED)
        .values("quota")
        .annotate(total=Count("pk"), **counts)
        .order_by()
        .values_list("quota", "total", *counts)
    }
    none = (0,) * (len(rules) + 1)
    nodes = []
    for pk, quota in quotas.items():
        total, *per_rule = rows.get(pk, none)
        statuses = [
            _status(r, n, total, quota.allowed)
            for r, n in zip(rules, per_rule, strict=True)
            if r.per_node
        ]
        nodes.append(NodeStatus(quota, total, statuses))
    total = sum(n.total for n in nodes)
    allowed = sum(q.allowed for q in quotas.values())
    overall = []
    for i, r in enumerate(rules, start=1):
        if not r.per_node:
            count = sum(row[i] for row in rows.values())
            overall.append(_status(r, count, total, allowed))
    return nodes, overall
