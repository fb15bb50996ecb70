"""The dashboards' metrics: what each counts, from which tables, under which keys.

A metric's ``build`` returns its figures at the union nodes where they were counted, as
``(org_unit_id, year, key, value)`` rows, each row one GROUP BY result read from the
programme's tables; ``refresh`` rolls them up the tree into ``Fact`` rows. ``sources`` are
the audit actions' prefixes whose events make the metric due for a refresh (a write of the
programme, or a change of the tree itself). Money is fen."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear

from gonghui.contests.models import Competition, Entrant
from gonghui.funds.models import Budget, LedgerEntry
from gonghui.funds.reports.selectors import COMMITTED, PAID
from gonghui.nominations.models import Nomination, Quota
from gonghui.nominations.workflow import ENDED, State
from gonghui.perks.models import Claim, Giveaway
from gonghui.registry.models import Award
from gonghui.training.models import Attendance, Enrolment, StudioReport, Submission

Row = tuple[int, int, str, int]  # org_unit_id, year, key, value
TREE = ("orgs.create", "orgs.move", "orgs.import", "orgs.update")


@dataclass(frozen=True)
class Metric:
    code: str
    title: str
    programme: str
    build: Callable[[], Iterable[Row]]
    sources: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)  # key -> label ("" = the key)
    unit: str = "人"  # 人, 项, 人次, 分 (fen: shown as 元)

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    @property
    def money(self) -> bool:
        return self.unit == "分"


def _rows(qs, unit: str, year: str, key: str | None, value: str, fixed_key: str = "") -> list[Row]:
    return [
        (r[unit], r[year], str(r[key]) if key else fixed_key, int(r[value] or 0))
        for r in qs
        if r[year] is not None
    ]


# --- registry: honours by year, honour, category and district ------------------------------


def _awards_by_honour() -> list[Row]:
    qs = (
        Award.objects.filter(status=Award.Status.ACTIVE)
        .values("org_unit_id", "year", "honour__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return _rows(qs, "org_unit_id", "year", "honour__name", "n")


def _awards_by_category() -> list[Row]:
    through = Award.categories.through
    qs = (
        through.objects.filter(award__status=Award.Status.ACTIVE)
        .values("award__org_unit_id", "award__year", "category__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return _rows(qs, "award__org_unit_id", "award__year", "category__name", "n")


# --- nominations: in progress, and quotas used --------------------------------------------

IN_PROGRESS = "in_progress"


def _nominations() -> list[Row]:
    qs = (
        Nomination.objects.values("org_unit_id", "campaign__year")
        .annotate(
            in_progress=Count("pk", filter=~Q(state__in=[*ENDED, State.APPROVED, State.DRAFT])),
            approved=Count("pk", filter=Q(state=State.APPROVED)),
            ended=Count("pk", filter=Q(state__in=ENDED)),
        )
        .order_by()
    )
    return [
        row
        for key in (IN_PROGRESS, "approved", "ended")
        for row in _rows(qs, "org_unit_id", "campaign__year", None, key, key)
    ]


def _quotas() -> list[Row]:
    qs = (
        Quota.objects.values("org_unit_id", "campaign__year")
        .annotate(allowed=Sum("allowed"), used=Sum("used"))
        .order_by()
    )
    return [
        row
        for key in ("allowed", "used")
        for row in _rows(qs, "org_unit_id", "campaign__year", None, key, key)
    ]


# --- contests: competitions and entrants ---------------------------------------------------


def _contests() -> list[Row]:
    competitions = (
        Competition.objects.values("org_unit_id", "programme__year")
        .annotate(n=Count("pk"))
        .order_by()
    )
    entrants = (
        Entrant.objects.exclude(status=Entrant.Status.WITHDRAWN)
        .values("competition__org_unit_id", "competition__programme__year")
        .annotate(
            n=Count("pk"),
            titled=Count(
                "pk", filter=Q(status__in=[Entrant.Status.TITLED, Entrant.Status.NOMINEE])
            ),
        )
        .order_by()
    )
    return [
        *_rows(competitions, "org_unit_id", "programme__year", None, "n", "competitions"),
        *_rows(
            entrants,
            "competition__org_unit_id",
            "competition__programme__year",
            None,
            "n",
            "entrants",
        ),
        *_rows(
            entrants,
            "competition__org_unit_id",
            "competition__programme__year",
            None,
            "titled",
            "titled",
        ),
    ]


# --- funds: money committed and paid against budget (fen) ---------------------------------


def _funds() -> list[Row]:
    budgets = Budget.objects.values("org_unit_id", "year").annotate(n=Sum("amount")).order_by()
    # A ledger row counts at its entitlement's node, or its budget's when it names none (a
    # run's one commitment): as the funds reports count it.
    ledger = (
        LedgerEntry.objects.annotate(
            node=Coalesce("entitlement__org_unit_id", "budget__org_unit_id")
        )
        .values("node", "budget__year")
        .annotate(
            committed=Sum(
                "amount",
                filter=Q(kind__in=COMMITTED)
                | Q(kind=LedgerEntry.Kind.REVERSE, reverses__kind__in=COMMITTED),
            ),
            paid=Sum(
                "amount",
                filter=Q(kind__in=PAID) | Q(kind=LedgerEntry.Kind.REVERSE, reverses__kind__in=PAID),
            ),
        )
        .order_by()
    )
    return [
        *_rows(budgets, "org_unit_id", "year", None, "n", "budget"),
        *_rows(ledger, "node", "budget__year", None, "committed", "committed"),
        *_rows(ledger, "node", "budget__year", None, "paid", "paid"),
    ]


# --- perks: giveaway uptake and pickup rate ------------------------------------------------

WON = (Claim.Status.WON, Claim.Status.PICKED_UP, Claim.Status.RELEASED)


def _giveaways() -> list[Row]:
    published = Giveaway.objects.exclude(
        status__in=[Giveaway.Status.DRAFT, Giveaway.Status.CANCELLED]
    )
    stock = (
        published.annotate(y=ExtractYear("opens_at"))
        .values("org_unit_id", "y")
        .annotate(n=Sum("stock"))
        .order_by()
    )
    claims = (
        Claim.objects.filter(giveaway__in=published)
        .annotate(y=ExtractYear("giveaway__opens_at"))
        .values("giveaway__org_unit_id", "y")
        .annotate(
            claims=Count("pk"),
            won=Sum("quantity", filter=Q(status__in=WON)),
            picked_up=Sum("quantity", filter=Q(status=Claim.Status.PICKED_UP)),
        )
        .order_by()
    )
    return [
        *_rows(stock, "org_unit_id", "y", None, "n", "stock"),
        *(
            r
            for k in ("claims", "won", "picked_up")
            for r in _rows(claims, "giveaway__org_unit_id", "y", None, k, k)
        ),
    ]


# --- training: attendance, quiz results, studio outputs ------------------------------------


def _attendance() -> list[Row]:
    enrolled = (
        Enrolment.objects.filter(status=Enrolment.Status.SEATED)
        .annotate(y=ExtractYear("session__starts_at"))
        .values("session__org_unit_id", "y")
        .annotate(n=Count("pk"))
        .order_by()
    )
    attended = (
        Attendance.objects.annotate(y=ExtractYear("session__starts_at"))
        .values("session__org_unit_id", "y")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        *_rows(enrolled, "session__org_unit_id", "y", None, "n", "enrolled"),
        *_rows(attended, "session__org_unit_id", "y", None, "n", "attended"),
    ]


def _quizzes() -> list[Row]:
    qs = (
        Submission.objects.annotate(y=ExtractYear("submitted_at"))
        .values("quiz__org_unit_id", "y")
        .annotate(n=Count("pk"), score=Sum("score"))
        .order_by()
    )
    return [
        *_rows(qs, "quiz__org_unit_id", "y", None, "n", "submissions"),
        *_rows(qs, "quiz__org_unit_id", "y", None, "score", "score_sum"),
    ]


STUDIO_FIGURES = {
    "reports": "年度成果报告",
    "patents": "专利",
    "innovations": "创新成果采纳",
    "apprentices": "带徒",
    "trained": "培训人次",
    "benefit_fen": "创造经济效益（元）",
    "saved_fen": "节约资金（元）",
}


def _studios() -> list[Row]:
    qs = (
        StudioReport.objects.filter(status=StudioReport.Status.APPROVED)
        .values("org_unit_id", "year")
        .annotate(
            reports=Count("pk"),
            patents=Sum("patent_count"),
            innovations=Sum("innovations"),
            apprentices=Sum("apprentices"),
            trained=Sum("trained"),
            benefit_fen=Sum("benefit_fen"),
            saved_fen=Sum("saved_fen"),
        )
        .order_by()
    )
    return [row for k in STUDIO_FIGURES for row in _rows(qs, "org_unit_id", "year", None, k, k)]


METRICS: dict[str, Metric] = {
    m.code: m
    for m in [
        Metric(
            "awards.honour",
            "荣誉授予（按荣誉）",
            "registry",
            _awards_by_honour,
            ("registry.", *TREE),
        ),
        Metric(
            "awards.category",
            "荣誉授予（按类别）",
            "registry",
            _awards_by_category,
            ("registry.", *TREE),
        ),
        Metric(
            "nominations.progress",
            "被推荐人",
            "nominations",
            _nominations,
            ("nominations.", *TREE),
            {IN_PROGRESS: "评选中", "approved": "已批准表彰", "ended": "未通过、取消或撤回"},
        ),
        Metric(
            "nominations.quota",
            "名额使用",
            "nominations",
            _quotas,
            ("nominations.", *TREE),
            {"allowed": "分配名额", "used": "已用名额"},
        ),
        Metric(
            "contests",
            "竞赛与参赛",
            "contests",
            _contests,
            ("contests.", *TREE),
            {
                "competitions": "工种竞赛（项）",
                "entrants": "参赛人数",
                "titled": "获得称号或提名奖",
            },
        ),
        Metric(
            "funds.money",
            "预算、承诺与支付",
            "funds",
            _funds,
            ("funds.", "training.studio", *TREE),
            {"budget": "预算", "committed": "已承诺", "paid": "已支付"},
            unit="分",
        ),
        Metric(
            "perks.giveaways",
            "普惠活动",
            "perks",
            _giveaways,
            ("perks.", *TREE),
            {
                "stock": "投放数量",
                "claims": "参与人次",
                "won": "获得数量",
                "picked_up": "已领取数量",
            },
            unit="份",
        ),
        Metric(
            "training.attendance",
            "课程讲座报名与签到",
            "training",
            _attendance,
            ("training.", *TREE),
            {"enrolled": "报名", "attended": "签到"},
            unit="人次",
        ),
        Metric(
            "training.quiz",
            "现场答题",
            "training",
            _quizzes,
            ("training.", *TREE),
            {"submissions": "答题人次", "score_sum": "得分合计"},
            unit="人次",
        ),
        Metric(
            "training.studio",
            "创新工作室成果",
            "training",
            _studios,
            ("training.", "registry.", *TREE),
            STUDIO_FIGURES,
            unit="项",
        ),
    ]
}

PROGRAMMES: dict[str, str] = {
    "registry": "劳模工匠档案",
    "nominations": "推荐评选",
    "contests": "工匠竞赛",
    "funds": "资金帮扶",
    "perks": "会员服务",
    "training": "素质建设",
}
