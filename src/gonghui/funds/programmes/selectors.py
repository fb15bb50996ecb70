"""Reads of the programmes feature: which programmes a viewer sees, a programme's rule
(readable and as its version history with field-level differences), its budgets with what
the ledger says about them (``budget_figures``, shared with the reports), its ledger rows,
and hardship recognitions.

Who sees a programme: whoever holds ``funds.view`` at its organiser (or above), and the
staff below it (a district's staff review the city's programmes); not another district's own
programme. Inside a programme, a viewer below its organiser sees the budgets and ledger rows
of their own part of the tree only."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from gonghui.common import formats
from gonghui.common.errors import NotFound
from gonghui.funds.models import Budget, Hardship, LedgerEntry, Programme, RuleVersion
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Membership, Person
from gonghui.people.search import matching_q

PROGRAMME_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "code": ("code",),
    "-code": ("-code",),
    "org_unit": ("org_unit__path", "code"),
    "-org_unit": ("-org_unit__path", "code"),
    "kind": ("kind", "code"),
    "-kind": ("-kind", "code"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


# --- Programmes ------------------------------------------------------------------------------


def visible_q(actor, perm: str = "funds.view", *, via: str = "org_unit") -> Q:
    """Programmes (``via`` their organiser) the actor sees: at or above one of the actor's
    ``perm`` posts, or within a post's scope."""
    above = access.post_ancestors(actor, perm)
    q = access.scope_q(actor, perm, via=via)
    if above:
        q |= Q(**{f"{via}__path__in": sorted(above)})
    return q


def programme_list(
    actor, *, q: str = "", kind: str = "", active: str = "", sort: str = ""
) -> QuerySet[Programme]:
    qs = (
        Programme.objects.filter(visible_q(actor))
        .select_related("org_unit")
        .annotate(versions=Count("rule_versions", distinct=True))
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by(*PROGRAMME_SORTS.get(sort, ("org_unit__path", "code")))


def programme_get(actor, pk) -> Programme:
    """A programme the actor sees, else NotFound (absent and out of scope alike)."""
    try:
        return Programme.objects.select_related("org_unit").get(visible_q(actor), pk=pk)
    except (Programme.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def may_manage(actor, programme: Programme) -> bool:
    """Whether the actor may change the programme's settings and rule (``funds.manage``
    at its organiser)."""
    return access.can_at(actor, "funds.manage", programme.org_unit)


def programme_to_manage(actor, pk) -> Programme:
    """A programme the actor may change (``funds.manage`` at its organiser), else
    NotFound."""
    programme = programme_get(actor, pk)
    if not may_manage(actor, programme):
        raise NotFound()
    return programme


def organising_units(actor) -> QuerySet[OrgUnit]:
    """Where the actor may set up a programme: the city, districts and industries within
    their ``funds.manage`` scope."""
    return access.restrict(
        OrgUnit.objects.filter(level__in=("city", "district", "industry"), is_active=True),
        actor,
        "funds.manage",
        via="",
    ).order_by("path")


def budget_units(actor, programme: Programme) -> QuerySet[OrgUnit]:
    """Where the actor may set the programme's budget: nodes at or below its organiser
    (down to streets) within the actor's ``funds.manage`` scope."""
    return (
        access.restrict(OrgUnit.objects.filter(is_active=True), actor, "funds.manage", via="")
        .filter(access.subtree_q(programme.org_unit))
        .exclude(level="grassroots")
        .order_by("path")
    )


# --- Rules -----------------------------------------------------------------------------------


def current_rule(programme: Programme) -> RuleVersion | None:
    return RuleVersion.objects.filter(programme=programme).order_by("-version").first()


def rule_versions(programme: Programme) -> list[RuleVersion]:
    """Every version, newest first, each with ``changes``: its differences from the one
    before (``rule_diff``)."""
    versions = list(
        RuleVersion.objects.filter(programme=programme)
        .select_related("created_by")
        .order_by("version")
    )
    before = None
    for version in versions:
        version.changes = rule_diff(before.rule if before else {}, version.rule)
        before = version
    return versions[::-1]


def _flat(value, prefix: str = "") -> dict[str, object]:
    """A rule as dotted paths to its leaves (list items numbered from 1)."""
    if isinstance(value, dict) and value:
        found = {}
        for key, item in value.items():
            found |= _flat(item, f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(value, list) and value:
        found = {}
        for n, item in enumerate(value, start=1):
            found |= _flat(item, f"{prefix}.{n}" if prefix else str(n))
        return found
    return {prefix: value}


MONEY_KEYS = {"levels", "amounts", "amount", "min", "max", "cap_per_year", "from",
              "amounts_by_grade"}  # fmt: skip


def _shown(path: str, value) -> str:
    """A rule's leaf as staff read it: amounts (fen) with their yuan beside them."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and MONEY_KEYS & set(path.split(".")):
        return f"{value}（{formats.yuan(value)}）"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


@dataclass
class Change:
    path: str
    before: object
    after: object

    @property
    def before_text(self) -> str:
        return _shown(self.path, self.before)

    @property
    def after_text(self) -> str:
        return _shown(self.path, self.after)

    @property
    def kind(self) -> str:
        if self.before is None:
            return "新增"
        if self.after is None:
            return "删除"
        return "修改"


def rule_diff(old: dict, new: dict) -> list[Change]:
    """Field-level differences between two rules: ``levels.一级`` 200000 → 250000."""
    before, after = _flat(old or {}), _flat(new or {})
    before.pop("", None)
    after.pop("", None)
    return [
        Change(path, before.get(path), after.get(path))
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    ]


@dataclass
class RuleTable:
    """A rule as a person reads it: the table of its kind and what else it holds."""

    kind: str
    levels: list[tuple[str, int, list[str]]] = field(default_factory=list)
    finalists: dict | None = None
    grades: list[str] = field(default_factory=list)
    bands: list[tuple[int, int | None, list[int | None]]] = field(default_factory=list)
    low: int | None = None
    high: int | None = None
    amount: int | None = None
    cap_per_year: int | None = None
    extra: list[tuple[str, str]] = field(default_factory=list)


KNOWN = {
    "certificate": {"kind", "levels", "aliases", "finalists", "cap_per_year"},
    "illness": {"kind", "min", "max", "bands", "cap_per_year"},
    "fixed": {"kind", "amount", "cap_per_year"},
}


def rule_table(rule: dict) -> RuleTable:
    kind = rule.get("kind", "")
    table = RuleTable(kind=kind, cap_per_year=rule.get("cap_per_year"))
    if kind == "certificate":
        aliases = defaultdict(list)
        for alias, level in (rule.get("aliases") or {}).items():
            aliases[level].append(alias)
        table.levels = [(lv, amt, aliases[lv]) for lv, amt in (rule.get("levels") or {}).items()]
        table.finalists = rule.get("finalists")
    elif kind == "illness":
        bands = rule.get("bands") or []
        grades: list[str] = []
        for band in bands:
            for grade in band.get("amounts") or {}:
                if grade not in grades:
                    grades.append(grade)
        table.grades = grades
        for n, band in enumerate(bands):
            upto = bands[n + 1]["from"] if n + 1 < len(bands) else None
            amounts = band.get("amounts") or {}
            table.bands.append((band["from"], upto, [amounts.get(g) for g in grades]))
        table.low, table.high = rule.get("min"), rule.get("max")
    elif kind == "fixed":
        table.amount = rule.get("amount")
    table.extra = [
        (key, json.dumps(value, ensure_ascii=False, indent=1))
        for key, value in rule.items()
        if key not in KNOWN.get(kind, {"kind"})
    ]
    return table


# --- Budgets and the ledger ------------------------------------------------------------------

MEASURES = ("committed", "paid", "returned")


def _measure(kind: str, reversed_kind: str | None) -> str | None:
    """Which figure a ledger row counts in: a reversal in the figure of the row it reverses."""
    kind = reversed_kind if kind == LedgerEntry.Kind.REVERSE else kind
    return {
        LedgerEntry.Kind.COMMIT: "committed",
        LedgerEntry.Kind.RELEASE: "committed",
        LedgerEntry.Kind.PAY: "paid",
        LedgerEntry.Kind.RETURN: "returned",
    }.get(kind)


def budget_figures(
    programme: Programme,
    year: int,
    *,
    by: tuple[str, ...] = ("org_unit", "month"),
    actor=None,
    perm: str = "funds.view",
) -> list[dict]:
    """The programme's money for ``year`` from its ledger, grouped ``by`` any of
    ``org_unit`` (the budget's node) and ``month`` ("2026-01"): ``committed`` (commitments
    less releases, with their reversals), ``paid`` (payments with their reversals) and
    ``returned`` (the bank's returns, shown positive). Grouped by node alone, each row also
    has the budget's ``amount``, ``remaining`` and ``budget`` (``committed`` is then the
    budget's own counter, which the ledger sum equals: ``ledger_committed``). ``actor``
    limits the rows to the budgets in their ``perm`` scope. Shared with the reports."""
    by = tuple(by)
    if set(by) - {"org_unit", "month"}:
        raise ValueError(f"budget_figures groups by org_unit and/or month, not {by}")
    budgets = Budget.objects.filter(programme=programme, year=year).select_related("org_unit")
    entries = LedgerEntry.objects.filter(programme=programme, budget__year=year)
    if actor is not None:
        budgets = budgets.filter(access.scope_q(actor, perm, via="org_unit"))
        entries = entries.filter(access.scope_q(actor, perm, via="budget__org_unit"))
    budgets = {b.pk: b for b in budgets}
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for row in entries.values("budget_id", "month", "kind", "reverses__kind").annotate(
        total=Sum("amount")
    ):
        measure = _measure(row["kind"], row["reverses__kind"])
        if measure is None or row["budget_id"] not in budgets:
            continue
        key = tuple(
            budgets[row["budget_id"]].org_unit_id if dim == "org_unit" else row["month"]
            for dim in by
        )
        sums[key][measure] += -row["total"] if measure == "returned" else row["total"]
    units = {b.org_unit_id: b for b in budgets.values()}
    if by == ("org_unit",):
        for budget in budgets.values():
            sums.setdefault((budget.org_unit_id,), dict.fromkeys(MEASURES, 0))
    result = []
    for key, figures in sums.items():
        row = dict(zip(by, key, strict=True)) | figures
        if "org_unit" in by:
            budget = units[row["org_unit"]]
            row["org_unit_id"] = row["org_unit"]
            row["org_unit"] = budget.org_unit
            row["path"] = budget.org_unit.path
            if by == ("org_unit",):
                row["ledger_committed"] = row["committed"]
                row |= {
                    "budget": budget,
                    "amount": budget.amount,
                    "committed": budget.committed,
                    "remaining": budget.remaining,
                }
        result.append(row)
    result.sort(key=lambda r: tuple(r["path"] if d == "org_unit" else r[d] for d in by))
    return result


@dataclass
class BudgetPage:
    year: int
    years: list[int]
    nodes: list[dict]
    months: list[dict]
    grid: list[dict]
    totals: dict


def budget_page(actor, programme: Programme, year: int) -> BudgetPage:
    nodes = budget_figures(programme, year, by=("org_unit",), actor=actor)
    months = budget_figures(programme, year, by=("month",), actor=actor)
    grid = budget_figures(programme, year, by=("org_unit", "month"), actor=actor)
    totals = {
        m: sum(r[m] for r in nodes)
        for m in ("amount", "committed", "paid", "returned", "remaining")
    }
    years = sorted(
        set(
            Budget.objects.filter(programme=programme)
            .filter(access.scope_q(actor, "funds.view"))
            .values_list("year", flat=True)
        )
        | {year},
        reverse=True,
    )
    return BudgetPage(year, years, nodes, months, grid, totals)


def ledger_q(actor, perm: str = "funds.view") -> Q:
    """Ledger rows the actor sees: of a budget in their scope, or of an entitlement of a
    union in their scope."""
    return access.scope_q(actor, perm, via="budget__org_unit") | access.scope_q(
        actor, perm, via="entitlement__org_unit"
    )


def ledger_rows(
    actor,
    programme: Programme,
    *,
    kind: str = "",
    month: str = "",
    org_unit: OrgUnit | None = None,
) -> QuerySet[LedgerEntry]:
    """The programme's ledger rows the actor sees, newest first, filtered by kind, month
    and node (the budget's or the entitlement's union at or below ``org_unit``)."""
    qs = (
        LedgerEntry.objects.filter(programme=programme)
        .filter(ledger_q(actor))
        .select_related("budget__org_unit", "entitlement", "actor", "reverses")
        .annotate(reversal_count=Count("reversed_by"))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if month:
        qs = qs.filter(month=month)
    if org_unit is not None:
        qs = qs.filter(
            access.subtree_q(org_unit, via="budget__org_unit")
            | access.subtree_q(org_unit, via="entitlement__org_unit")
        )
    return qs.order_by("-id")


def ledger_months(programme: Programme) -> list[str]:
    return list(
        LedgerEntry.objects.filter(programme=programme)
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )


def ledger_entry_get(actor, pk) -> LedgerEntry:
    """A ledger row the actor sees (its programme visible too), else NotFound."""
    try:
        entry = (
            LedgerEntry.objects.filter(ledger_q(actor))
            .select_related("programme__org_unit", "budget__org_unit", "entitlement")
            .get(pk=pk)
        )
    except (LedgerEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    programme_get(actor, entry.programme_id)
    return entry


def entry_for_correction(actor, pk) -> LedgerEntry:
    """A ledger row the actor may correct (``funds.manage`` at its budget's node), else
    NotFound."""
    entry = ledger_entry_get(actor, pk)
    if not access.can_at(actor, "funds.manage", entry.budget.org_unit):
        raise NotFound()
    return entry


def correctable(actor, entries) -> set[int]:
    """Which of ``entries`` (ledger rows with their budget's node) the actor may correct:
    neither reversed nor a reversal, and ``funds.manage`` at the budget's node."""
    return {
        e.pk
        for e in entries
        if e.kind != LedgerEntry.Kind.REVERSE
        and not getattr(e, "reversal_count", 0)
        and access.can_at(actor, "funds.manage", e.budget.org_unit)
    }


def funds_units(actor, perm: str = "funds.view") -> QuerySet[OrgUnit]:
    """Districts and the city within the actor's scope (for filters)."""
    return access.restrict(
        OrgUnit.objects.filter(level__in=("city", "district", "industry")), actor, perm, via=""
    ).order_by("path")


# --- Hardship --------------------------------------------------------------------------------


def hardship_union(person: Person) -> OrgUnit:
    """The union that recognises a person's hardship: their active membership's, else the
    union their record belongs to."""
    membership = (
        Membership.objects.filter(person=person, status=Membership.Status.ACTIVE)
        .select_related("org_unit")
        .first()
    )
    return membership.org_unit if membership else person.org_unit


HARDSHIP_SORTS = {
    "since": ("since", "id"),
    "-since": ("-since", "-id"),
    "name": ("person__name_sort", "id"),
    "-name": ("-person__name_sort", "-id"),
    "grade": ("grade", "-since"),
    "-grade": ("-grade", "-since"),
    "org_unit": ("org_unit__path", "-since"),
    "-org_unit": ("-org_unit__path", "-since"),
}


def hardship_list(
    actor,
    *,
    grade: str = "",
    district: OrgUnit | None = None,
    q: str = "",
    state: str = "open",
    sort: str = "",
) -> QuerySet[Hardship]:
    """Hardship recognitions of unions in the actor's ``funds.view`` scope: open ones
    (``state`` "open"), ended ones ("ended") or all (""), by grade, district, name."""
    qs = Hardship.objects.filter(access.scope_q(actor, "funds.view")).select_related(
        "person", "org_unit", "created_by"
    )
    if grade:
        qs = qs.filter(grade=grade)
    if district is not None:
        qs = qs.filter(access.subtree_q(district, via="org_unit"))
    if q:
        qs = qs.filter(matching_q(q, via="person_id"))
    if state == "open":
        qs = qs.filter(until__isnull=True)
    elif state == "ended":
        qs = qs.filter(until__isnull=False)
    return qs.order_by(*HARDSHIP_SORTS.get(sort, ("-since", "-id")))


def hardship_get(actor, pk) -> Hardship:
    return access.get_or_404(
        Hardship.objects.select_related("person", "org_unit"), actor, "funds.view", pk=pk
    )


def hardship_to_end(actor, pk) -> Hardship:
    """A recognition the actor may end (``funds.manage`` at its union), else NotFound."""
    hardship = hardship_get(actor, pk)
    if not access.can_at(actor, "funds.manage", hardship.org_unit):
        raise NotFound()
    return hardship


def person_candidates(actor, q: str, *, limit: int = 20) -> list[Person]:
    """People matching ``q`` (name, pinyin or initials: ``people.search``) whose record or
    membership lies in the actor's ``funds.manage`` scope: whom the actor may recognise."""
    q = (q or "").strip()
    if not q:
        return []
    in_scope = access.scope_q(actor, "funds.manage", via="org_unit")
    members = Membership.objects.filter(
        access.scope_q(actor, "funds.manage", via="org_unit"),
        status=Membership.Status.ACTIVE,
    ).values("person_id")
    return list(
        Person.objects.filter(matching_q(q))
        .filter(in_scope | Q(pk__in=members))
        .select_related("org_unit")
        .order_by("name_sort", "id")[:limit]
    )


def person_for_hardship(actor, pk) -> Person:
    """A person the actor may recognise (see ``person_candidates``), else NotFound."""
    try:
        person = Person.objects.select_related("org_unit").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not access.can_at(actor, "funds.manage", hardship_union(person)):
        raise NotFound()
    return person


def open_hardship(person: Person) -> Hardship | None:
    return Hardship.objects.filter(person=person, until__isnull=True).first()
