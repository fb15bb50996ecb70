"""Reads for the enrolment pages: a programme's runs, a run's enrolled people with their
grade and district, its totals, the working days left before its deadline, the deadline a
new run would get. Every read is scoped through ``orgs.access`` (``funds.view``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr

from gonghui.common import workdays
from gonghui.common.errors import ValidationFailed
from gonghui.funds.enrolment import criteria
from gonghui.funds.enrolment.deadlines import spring_festival_deadline
from gonghui.funds.models import Entitlement, Hardship, Programme, Run
from gonghui.funds.programmes.selectors import programme_get  # noqa: F401  (re-exported: the one rule)
from gonghui.orgs import access
from gonghui.orgs.models import SEGMENT, OrgUnit
from gonghui.people.search import matching_q
from gonghui.registry.models import Honour

RUN_SORTS = {"name", "year", "deadline", "enrolled", "status", "org_unit"}
LINE_SORTS = {
    "name": "person__name_sort",
    "amount": "amount",
    "org_unit": "org_unit__path",
    "status": "status",
    "payment_id": "payment_id",
    "grade": "grade",
}


def run_list(actor, programme: Programme, *, sort: str = ""):
    """The programme's runs the actor may see, with what each owes (uncancelled)."""
    key = sort.lstrip("-")
    order = ["-year", "-id"]
    if key in RUN_SORTS:
        column = "org_unit__path" if key == "org_unit" else key
        order = [("-" if sort.startswith("-") else "") + column, "-id"]
    return (
        access.restrict(Run.objects.filter(programme=programme), actor, "funds.view")
        .select_related("org_unit", "rule_version")
        .annotate(
            total=Coalesce(
                Sum("entitlements__amount", filter=~Q(entitlements__status="cancelled")),
                Value(0),
            )
        )
        .order_by(*order)
    )


def run_get(actor, pk) -> Run:
    return access.get_or_404(
        Run.objects.select_related("programme", "programme__org_unit", "org_unit", "rule_version"),
        actor,
        "funds.view",
        pk=pk,
    )


def entitlement_get(actor, pk) -> Entitlement:
    """A run's entitlement in the actor's scope, else NotFound."""
    return access.get_or_404(
        Entitlement.objects.select_related("run", "org_unit", "budget", "programme"),
        actor,
        "funds.view",
        pk=pk,
        run__isnull=False,
    )


def deadline_suggestions(today: date | None = None) -> list[tuple[int, date | None, str]]:
    """The last working day before the Spring Festival, this year and next: (year, date or
    None, what to show)."""
    today = today or workdays.today()
    found = []
    for year in (today.year, today.year + 1):
        try:
            day = spring_festival_deadline(year)
        except ValidationFailed as exc:
            found.append((year, None, exc.fields["deadline"]))
        else:
            note = "（已过）" if day < today else ""
            found.append((year, day, f"{year}年春节前最后一个工作日：{day:%Y-%m-%d}{note}"))
    return found


def managing_units(actor, programme: Programme):
    """Where the actor may set up a run: the programme's union and its direct subdivisions,
    where they hold ``funds.manage``."""
    units = OrgUnit.objects.filter(
        Q(pk=programme.org_unit_id) | Q(parent_id=programme.org_unit_id), is_active=True
    )
    return access.restrict(units, actor, "funds.manage", via="").order_by("path")


def subdivisions(run: Run):
    """The run's union's direct subdivisions (the page's district or street filter)."""
    return OrgUnit.objects.filter(parent=run.org_unit).order_by("path")


@dataclass
class RunPage:
    run: Run
    lines: object  # the filtered, sorted entitlements
    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)
    total_count: int = 0
    total_amount: int = 0
    days_left: int | None = None
    conditions: list[str] = field(default_factory=list)
    subdivisions: object = None
    may_manage: bool = False

    @property
    def breakdown(self) -> list[tuple[str, int, int]]:
        """(status label, people, amount) in the statuses' order."""
        return [
            (label, self.counts[value], self.amounts[value])
            for value, label in Entitlement.Status.choices
            if value in self.counts
        ]


def run_page(actor, run: Run, *, q="", grade="", unit=None, status="", sort="") -> RunPage:
    """A run's enrolled people the actor may see (their grade at the deadline, their
    subdivision of the run's union), filtered and sorted, with the run's totals."""
    scoped = access.restrict(Entitlement.objects.filter(run=run), actor, "funds.view")
    sums = {
        row["status"]: (row["n"], row["amount"])
        for row in scoped.order_by().values("status").annotate(n=Count("id"), amount=Sum("amount"))
    }
    grade_at = (
        Hardship.objects.filter(person=OuterRef("person_id"), since__lte=run.deadline)
        .filter(Q(until__isnull=True) | Q(until__gte=run.deadline))
        .order_by("-since", "-id")
        .values("grade")[:1]
    )
    depth = len(run.org_unit.path) + SEGMENT
    lines = scoped.select_related("person", "org_unit").annotate(
        grade=Subquery(grade_at),
        subdivision=Subquery(
            OrgUnit.objects.filter(path=Substr(OuterRef("org_unit__path"), 1, depth)).values(
                "name"
            )[:1]
        ),
    )
    if q:
        lines = lines.filter(matching_q(q, via="person_id") | Q(payment_id=q.upper()))
    if grade:
        lines = lines.filter(grade=grade)
    if unit is not None:
        lines = lines.filter(access.subtree_q(unit, via="org_unit"))
    if status:
        lines = lines.filter(status=status)
    key = sort.lstrip("-")
    column = LINE_SORTS.get(key)
    order = (
        [("-" if sort.startswith("-") else "") + column, "id"]
        if column
        else ["org_unit__path", "id"]
    )
    live = [s for s in sums if s != Entitlement.Status.CANCELLED]
    rule = run.rule_version.rule if run.rule_version else None
    if rule is None:
        version = run.programme.rule_versions.order_by("-version").first()
        rule = version.rule if version else {}
    return RunPage(
        run=run,
        lines=lines.order_by(*order),
        counts={s: n for s, (n, _) in sums.items()},
        amounts={s: a for s, (_, a) in sums.items()},
        total_count=sum(sums[s][0] for s in live),
        total_amount=sum(sums[s][1] for s in live),
        days_left=workdays.workdays_left(workdays.today(), run.deadline),
        conditions=_conditions(rule),
        subdivisions=subdivisions(run),
        may_manage=access.can_at(actor, "funds.manage", run.org_unit),
    )


def _conditions(rule) -> list[str]:
    enrol = (rule or {}).get("enrol") or {}
    codes = enrol.get("honours") or []
    names = dict(Honour.objects.filter(code__in=codes).values_list("code", "name"))
    shown = {**rule, "enrol": {**enrol, "honours": [names.get(c, c) for c in codes]}}
    return criteria.describe(shown) if enrol else ["（规则未设定纳入条件）"]
