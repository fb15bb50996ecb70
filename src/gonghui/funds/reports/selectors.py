"""Reads of the funds reports (报表): a programme's figures by node and by month, the seed's
sentence generated from data, and the funds dashboard. Nothing here writes.

Every figure is scoped through ``orgs.access`` with ``funds.view``: an application or an
entitlement counts where its union node (``org_unit``) lies in the viewer's scope; a ledger
row where its entitlement's node lies (a run's one commitment, which names no entitlement,
at its budget's node); a budget at its own node. A district's staff therefore see their own
subtree's numbers of a city programme and nothing of another district's.

What is counted:

* applications of the programme's year (``Application.year``) by status; approvals are the
  approved ones (by the month of their decision);
* approved amounts are the year's entitlements that are not cancelled (from approvals and
  from enrolment alike), by the month they arose;
* committed and paid come from the ledger rows of the year's budgets, by the ledger row's
  month: committed = commit + release (and their reversals), paid = pay + return (and their
  reversals). The programmes feature's budget page reads the same rows the same way.

Each breakdown is one GROUP BY in the database over the node's children (the first
``len(path) + SEGMENT`` characters of a row's node path), never a walk per row."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Left, TruncMonth

from gonghui.common import money
from gonghui.common.errors import NotFound
from gonghui.common.workdays import today
from gonghui.funds.models import (
    Application,
    Budget,
    Entitlement,
    LedgerEntry,
    PayoutLine,
    Programme,
)
from gonghui.funds.prediction import REASONS
from gonghui.funds.programmes.selectors import (  # programme_get re-exported: the one rule
    programme_get,  # noqa: F401
    visible_q,
)
from gonghui.orgs import access
from gonghui.orgs.models import SEGMENT, OrgUnit, Post, path_contains

PERM = "funds.view"
SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUSES = list(Application.Status)
WAITING = {  # an application's status → the review level it waits for
    Application.Status.SUBMITTED: 1,
    Application.Status.VERIFIED: 2,
    Application.Status.REVIEWED: 3,
}
LEVEL_NAMES = {1: "基层核实", 2: "区级审核", 3: "市级审批"}
COMMITTED = (LedgerEntry.Kind.COMMIT, LedgerEntry.Kind.RELEASE)
PAID = (LedgerEntry.Kind.PAY, LedgerEntry.Kind.RETURN)
NODE_SORTS = {
    "name": lambda r: r.sort_name,
    "applications": lambda r: r.applications,
    "approved": lambda r: r.approved,
    "people": lambda r: r.people,
    "amount": lambda r: r.amount,
    "paid": lambda r: r.paid,
}
HERE = "（本级）"


# --- What the viewer may see -----------------------------------------------------------------


def _view_grants(actor) -> list[access.Grant]:
    return [
        g
        for g in access.grants(actor)
        if PERM in g.permissions and g.scope in (Post.Scope.SUBTREE, Post.Scope.NODE)
    ]


def sees_whole(actor, programme: Programme) -> bool:
    """Whether ``actor``'s scope takes in the programme's whole subtree."""
    return any(
        g.scope == Post.Scope.SUBTREE and path_contains(g.path, programme.org_unit.path)
        for g in _view_grants(actor)
    )


def visible_programmes(actor) -> list[Programme]:
    """The active programmes the actor sees, as the funds pages order them."""
    return list(
        Programme.objects.select_related("org_unit").filter(visible_q(actor), is_active=True)
    )


def roots(actor, programme: Programme) -> list[OrgUnit]:
    """Where the actor's view of a programme starts: its organiser when the actor sees it,
    else the topmost of the actor's own nodes under it (a district, a street …)."""
    if access.can_at(actor, PERM, programme.org_unit):
        return [programme.org_unit]
    root = programme.org_unit.path
    paths = sorted({g.path for g in _view_grants(actor) if path_contains(root, g.path)})
    top = [p for p in paths if not any(q != p and path_contains(q, p) for q in paths)]
    return list(OrgUnit.objects.filter(path__in=top).order_by("path"))


def node_get(*, actor, programme: Programme, pk=None) -> OrgUnit:
    """The node a report is drilled to: one the actor sees inside the programme's subtree
    (NotFound otherwise), or the first of ``roots`` when none is asked for."""
    if pk in (None, ""):
        starts = roots(actor, programme)
        if not starts:
            raise NotFound()
        return starts[0]
    try:
        node = OrgUnit.objects.get(pk=pk)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not path_contains(programme.org_unit.path, node.path) or not access.can_at(
        actor, PERM, node
    ):
        raise NotFound()
    return node


def trail(actor, programme: Programme, node: OrgUnit) -> list[OrgUnit]:
    """The nodes from the viewer's start down to ``node`` (the report's breadcrumbs)."""
    starts = {u.path for u in roots(actor, programme)}
    paths = [
        node.path[:end]
        for end in range(SEGMENT, len(node.path) + 1, SEGMENT)
        if any(path_contains(s, node.path[:end]) for s in starts)
    ]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


def _within(actor, node: OrgUnit, via: str) -> Q:
    """Rows in the actor's scope and in ``node``'s subtree (``via`` leads to the node)."""
    return access.scope_q(actor, PERM, via=via) & access.subtree_q(node, via=via)


def _ledger_within(actor, node: OrgUnit) -> Q:
    """Ledger rows by their entitlement's node, or their budget's when they name none."""
    return (Q(entitlement__isnull=False) & _within(actor, node, "entitlement__org_unit")) | (
        Q(entitlement__isnull=True) & _within(actor, node, "budget__org_unit")
    )


def _paid_q() -> Q:
    return Q(kind__in=PAID) | Q(kind=LedgerEntry.Kind.REVERSE, reverses__kind__in=PAID)


def _committed_q() -> Q:
    return Q(kind__in=COMMITTED) | Q(kind=LedgerEntry.Kind.REVERSE, reverses__kind__in=COMMITTED)


def _applications(actor, programme, year, node) -> QuerySet[Application]:
    return Application.objects.filter(
        _within(actor, node, "org_unit"), programme=programme, year=year
    ).order_by()


def _entitlements(actor, programme, year, node) -> QuerySet[Entitlement]:
    return (
        Entitlement.objects.filter(_within(actor, node, "org_unit"), programme=programme, year=year)
        .exclude(status=Entitlement.Status.CANCELLED)
        .order_by()
    )


def _ledger(actor, programme, year, node) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        _ledger_within(actor, node), programme=programme, budget__year=year
    ).order_by()


# --- By node -------------------------------------------------------------------------------------


@dataclass
class NodeRow:
    """One node's figures: its own rows (``HERE``) or its subtree's."""

    unit: OrgUnit | None
    label: str
    here: bool = False  # the node's own rows, not a child's subtree
    by_status: dict[str, int] = field(default_factory=dict)
    entitlements: int = 0
    people: int = 0
    amount: int = 0  # fen: approved (not cancelled) entitlements
    committed: int = 0  # fen: ledger, net
    paid: int = 0  # fen: ledger, net

    @property
    def applications(self) -> int:
        return sum(self.by_status.values())

    @property
    def approved(self) -> int:
        return self.by_status.get(Application.Status.APPROVED, 0)

    @property
    def waiting(self) -> int:
        return sum(self.by_status.get(s, 0) for s in WAITING)

    @property
    def statuses(self) -> list[int]:
        return [self.by_status.get(s, 0) for s in STATUSES]

    @property
    def sort_name(self) -> str:
        return self.unit.path if self.unit else ""

    @property
    def drillable(self) -> bool:
        return self.unit is not None and not self.here and self.unit.child_count > 0

    @property
    def empty(self) -> bool:
        return not (self.applications or self.entitlements or self.committed or self.paid)


def by_node(
    *,
    actor,
    programme: Programme,
    year: int,
    node: OrgUnit,
    sort: str = "",
    with_data: bool = False,
) -> dict:
    """The node's own figures and each child's subtree's: ``{"rows": [...], "total": NodeRow}``
    (children in the actor's scope, the node itself first as "（本级）" when it has rows;
    ``with_data``: only the children with any figure)."""
    width = len(node.path) + SEGMENT
    apps = (
        _applications(actor, programme, year, node)
        .annotate(key=Left("org_unit__path", width))
        .values("key", "status")
        .annotate(n=Count("pk"))
    )
    ents = (
        _entitlements(actor, programme, year, node)
        .annotate(key=Left("org_unit__path", width))
        .values("key")
        .annotate(n=Count("pk"), people=Count("person", distinct=True), total=Sum("amount"))
    )
    ledger = (
        _ledger(actor, programme, year, node)
        .annotate(
            key=Left(Coalesce("entitlement__org_unit__path", "budget__org_unit__path"), width)
        )
        .values("key")
        .annotate(
            committed=Sum("amount", filter=_committed_q()),
            paid=Sum("amount", filter=_paid_q()),
        )
    )
    children = access.restrict(OrgUnit.objects.filter(parent=node), actor, PERM, via="").order_by(
        "path"
    )
    rows: dict[str, NodeRow] = {node.path: NodeRow(node, f"{node.name}{HERE}", here=True)}
    for child in children:
        rows[child.path] = NodeRow(child, child.name)
    for a in apps:
        _row(rows, a["key"]).by_status[a["status"]] = a["n"]
    for e in ents:
        row = _row(rows, e["key"])
        row.entitlements, row.people, row.amount = e["n"], e["people"], e["total"] or 0
    for entry in ledger:
        row = _row(rows, entry["key"])
        row.committed, row.paid = entry["committed"] or 0, entry["paid"] or 0
    listed = [
        r
        for r in rows.values()
        if not r.empty or not (with_data or r.here or (r.unit is not None and not r.unit.is_active))
    ]
    stray_paths = [r.label for r in listed if r.unit is None]
    strays = (
        {u.path: u for u in OrgUnit.objects.filter(path__in=stray_paths)} if stray_paths else {}
    )
    for row in listed:
        if row.unit is None:  # rows of a node the children's list did not name
            row.unit = strays.get(row.label)
            row.label = row.unit.name if row.unit else "（其他）"
    total = NodeRow(node, "合计")
    for row in listed:
        for status, n in row.by_status.items():
            total.by_status[status] = total.by_status.get(status, 0) + n
        total.entitlements += row.entitlements
        total.amount += row.amount
        total.committed += row.committed
        total.paid += row.paid
    total.people = _entitlements(actor, programme, year, node).aggregate(
        n=Count("person", distinct=True)
    )["n"]
    key = NODE_SORTS.get(sort.lstrip("-"))
    if key is not None:
        listed.sort(key=key, reverse=sort.startswith("-"))
    return {"rows": listed, "total": total}


def _row(rows: dict[str, NodeRow], key: str) -> NodeRow:
    if key not in rows:
        rows[key] = NodeRow(None, key)
    return rows[key]


# --- By month ------------------------------------------------------------------------------------


@dataclass
class MonthRow:
    month: str  # "2026-01"
    applications: int = 0
    approved: int = 0
    entitlements: int = 0
    amount: int = 0
    committed: int = 0
    paid: int = 0

    @property
    def label(self) -> str:
        year, month = self.month.split("-")
        return f"{year}年{int(month)}月"


def _month(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m") if moment else ""


def by_month(*, actor, programme: Programme, year: int, node: OrgUnit) -> list[MonthRow]:
    """The year's twelve months (and any month outside it that holds the year's rows: an
    application of 2026 made in December 2025, a payment of 2018's aid in 2019)."""
    rows = {f"{year}-{m:02d}": MonthRow(f"{year}-{m:02d}") for m in range(1, 13)}

    def row(month: str) -> MonthRow:
        return rows.setdefault(month, MonthRow(month))

    apps = _applications(actor, programme, year, node)
    for a in (
        apps.annotate(m=TruncMonth("created_at", tzinfo=SHANGHAI))
        .values("m")
        .annotate(n=Count("pk"))
    ):
        row(_month(a["m"])).applications += a["n"]
    for a in (
        apps.filter(status=Application.Status.APPROVED, decided_at__isnull=False)
        .annotate(m=TruncMonth("decided_at", tzinfo=SHANGHAI))
        .values("m")
        .annotate(n=Count("pk"))
    ):
        row(_month(a["m"])).approved += a["n"]
    for e in (
        _entitlements(actor, programme, year, node)
        .annotate(m=TruncMonth("created_at", tzinfo=SHANGHAI))
        .values("m")
        .annotate(n=Count("pk"), total=Sum("amount"))
    ):
        r = row(_month(e["m"]))
        r.entitlements += e["n"]
        r.amount += e["total"] or 0
    for entry in (
        _ledger(actor, programme, year, node)
        .values("month")
        .annotate(
            committed=Sum("amount", filter=_committed_q()),
            paid=Sum("amount", filter=_paid_q()),
        )
    ):
        r = row(entry["month"])
        r.committed += entry["committed"] or 0
        r.paid += entry["paid"] or 0
    return [rows[m] for m in sorted(rows)]


def years(programme: Programme) -> list[int]:
    """The years a programme has budgets, applications or entitlements in, newest first,
    this year always among them."""
    found = {today().year}
    found |= set(Budget.objects.filter(programme=programme).values_list("year", flat=True))
    found |= set(Application.objects.filter(programme=programme).values_list("year", flat=True))
    found |= set(Entitlement.objects.filter(programme=programme).values_list("year", flat=True))
    return sorted(found, reverse=True)


# --- The sentence -------------------------------------------------------------------------------


# What a programme's kind gives, said the way the seeds say it: (counter, verb, what).
SAYINGS = {
    Programme.Kind.ILLNESS: ("名会员", "获得", "大病救助"),
    Programme.Kind.CERTIFICATE: ("名会员", "获得", "技能等级证书补贴"),
    Programme.Kind.HARDSHIP: ("名困难劳模", "获得", "困难帮扶金"),
    Programme.Kind.CONDOLENCE: ("名困难劳模", "领到", "节日慰问金"),
    Programme.Kind.STUDIO: ("个创新工作室", "获得", "资助"),
}


def _saying(programme: Programme) -> tuple[str, str, str]:
    counter, verb, what = SAYINGS.get(programme.kind, ("名会员", "获得", programme.name))
    if programme.kind == Programme.Kind.CONDOLENCE and programme.name.endswith("金"):
        what = programme.name  # 春节慰问金, 中秋慰问金 …
    return counter, verb, what


def _sentence_figures(actor, programmes, year) -> dict[int, dict]:
    """Per programme: distinct payees (studios for a studio programme) and the sum of the
    year's entitlements that are not cancelled, in the actor's scope."""
    rows = (
        Entitlement.objects.filter(access.scope_q(actor, PERM), programme__in=programmes, year=year)
        .exclude(status=Entitlement.Status.CANCELLED)
        .order_by()
        .values("programme")
        .annotate(
            people=Count("person", distinct=True),
            studios=Count("studio", distinct=True),
            total=Sum("amount"),
        )
    )
    return {r["programme"]: r for r in rows}


def say(programme: Programme, year: int, figures: dict | None, where: str = "") -> str:
    """The sentence of a programme's year from its figures (see ``sentence``)."""
    counter, verb, what = _saying(programme)
    figures = figures or {}
    count = figures.get("people", 0)
    if programme.kind == Programme.Kind.STUDIO and figures.get("studios"):
        count = figures["studios"]
    total = figures.get("total") or 0
    if not count:
        who = counter.lstrip("名个")
        return f"{year}年，{where}尚无{who}{verb}{what}"
    return f"{year}年，{where}{count}{counter}{verb}{what}{money.wan(total)}"


def where(actor, programme: Programme) -> str:
    """ "" when the actor sees the programme whole, else the part they see
    ("朝阳区总工会范围内")."""
    if sees_whole(actor, programme):
        return ""
    names = "、".join(u.name for u in roots(actor, programme))
    return f"{names}范围内，" if names else ""


def sentence(programme: Programme, year: int, viewer) -> str:
    """The seed's sentence from data: "2018年，41名会员获得大病救助52.8万元" — the distinct
    members with an entitlement of the programme in the year that is not cancelled, and its
    sum in 万元; as much of it as ``viewer`` sees (a district's staff hear their district's
    part, named). None at all → "2018年，尚无会员获得大病救助"."""
    figures = _sentence_figures(viewer, [programme], year).get(programme.pk)
    return say(programme, year, figures, where(viewer, programme))


# --- The dashboard -----------------------------------------------------------------------------


@dataclass
class DashboardRow:
    programme: Programme
    budget: int | None  # fen, the year's budgets in scope; None: none in scope
    committed: int = 0
    paid: int = 0
    waiting: dict[int, int] = field(default_factory=dict)  # review level → applications
    failing: int = 0  # pending lines predicted to fail
    stuck: int = 0  # … of which with no alternative that lands in time
    sentence: str = ""

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.committed

    @property
    def waiting_levels(self) -> list[tuple[int, str, int | None]]:
        """(level, name, count) for each level; count None where the programme has no
        such level."""
        return [
            (level, name, self.waiting.get(level, 0) if level <= self.programme.levels else None)
            for level, name in LEVEL_NAMES.items()
        ]


def dashboard(*, actor, year: int | None = None) -> dict:
    """Per programme the actor sees, this year: its budgets in scope (amount, committed,
    paid, remaining), applications waiting at each review level, pending payout lines
    predicted to fail (and those with no alternative in time), and the sentence of the last
    complete year."""
    year = year or today().year
    programmes = visible_programmes(actor)
    ids = [p.pk for p in programmes]
    budgets = {
        b["programme"]: b
        for b in Budget.objects.filter(access.scope_q(actor, PERM), programme__in=ids, year=year)
        .order_by()
        .values("programme")
        .annotate(amount=Sum("amount"), committed=Sum("committed"))
    }
    paid = dict(
        LedgerEntry.objects.filter(
            _paid_q(),
            access.scope_q(actor, PERM, via="budget__org_unit"),
            programme__in=ids,
            budget__year=year,
        )
        .order_by()
        .values("programme")
        .annotate(total=Sum("amount"))
        .values_list("programme", "total")
    )
    waiting: dict[int, dict[int, int]] = defaultdict(dict)
    for a in (
        Application.objects.filter(
            access.scope_q(actor, PERM), programme__in=ids, status__in=list(WAITING)
        )
        .order_by()
        .values("programme", "status")
        .annotate(n=Count("pk"))
    ):
        waiting[a["programme"]][WAITING[a["status"]]] = a["n"]
    failing = {
        f["entitlement__programme"]: f
        for f in PayoutLine.objects.filter(
            access.scope_q(actor, PERM, via="entitlement__org_unit"),
            entitlement__programme__in=ids,
            status=PayoutLine.Status.PENDING,
            prediction__in=list(REASONS),
        )
        .order_by()
        .values("entitlement__programme")
        .annotate(
            n=Count("pk"),
            stuck=Count("pk", filter=Q(alternative__isnull=True) | Q(in_time=False)),
        )
    }
    last = year - 1
    said = _sentence_figures(actor, ids, last)
    rows = []
    for p in programmes:
        b = budgets.get(p.pk)
        f = failing.get(p.pk, {})
        rows.append(
            DashboardRow(
                programme=p,
                budget=b["amount"] if b else None,
                committed=b["committed"] if b else 0,
                paid=paid.get(p.pk) or 0,
                waiting=waiting.get(p.pk, {}),
                failing=f.get("n", 0),
                stuck=f.get("stuck", 0),
                sentence=say(p, last, said.get(p.pk), where(actor, p)),
            )
        )
    return {"year": year, "last": last, "rows": rows}
