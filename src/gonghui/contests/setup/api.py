"""Contest set-up over JSON (staff, scoped like the pages): programmes, a programme with
its competitions and judge pool, a competition's dashboard."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema

from gonghui.common.pagination import page_dict
from gonghui.common.schemas import Year, one_of
from gonghui.contests.models import Programme
from gonghui.contests.setup import selectors

router = Router(tags=["工匠选树与技能竞赛"])


class ProgrammeFilters(Schema):
    q: str = ""
    year: Year | None = None
    kind: one_of(Programme.Kind.values) = ""
    sort: one_of(selectors.PROGRAMME_SORTS) = ""
    page: int = 1


class ProgrammeOut(Schema):
    id: int
    name: str
    year: int
    edition: int
    kind: str
    kind_label: str
    org_unit_id: int
    org_unit: str
    compare_trades: bool
    title_honour: str | None
    nominee_honour: str | None
    competition_count: int

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.name

    @staticmethod
    def resolve_title_honour(obj):
        return obj.title_honour.name if obj.title_honour_id else None

    @staticmethod
    def resolve_nominee_honour(obj):
        return obj.nominee_honour.name if obj.nominee_honour_id else None

    @staticmethod
    def resolve_competition_count(obj):
        count = getattr(obj, "competition_count", None)
        return count if count is not None else obj.competitions.count()


class ProgrammeListOut(Schema):
    count: int
    count_capped: bool
    page: int
    items: list[ProgrammeOut]


class CompetitionRowOut(Schema):
    id: int
    name: str
    trade: str
    status: str
    registration_opens_at: datetime
    registration_closes_at: datetime
    entrant_count: int

    @staticmethod
    def resolve_trade(obj):
        return obj.trade.name


class JudgeSetupOut(Schema):
    id: int
    key: str
    kind: str
    name: str
    employer: str | None
    trade: str | None
    has_account: bool

    @staticmethod
    def resolve_key(obj):
        return selectors.judge_public_key(obj)

    @staticmethod
    def resolve_employer(obj):
        return obj.employer.name if obj.employer_id else None

    @staticmethod
    def resolve_trade(obj):
        return obj.trade.name if obj.trade_id else None

    @staticmethod
    def resolve_has_account(obj):
        return obj.user_id is not None


class ProgrammeDetailOut(Schema):
    programme: ProgrammeOut
    description: str
    competitions: list[CompetitionRowOut]
    judges: list[JudgeSetupOut]


class StageSetupOut(Schema):
    id: int
    order: int
    kind: str
    name: str
    status: str
    scheme: dict
    scheme_version: int
    rule: dict
    starts_at: datetime | None
    votes_open_at: datetime | None
    votes_close_at: datetime | None
    appeal_minutes: int
    entry_count: int
    match_count: int


class CompetitionSetupOut(Schema):
    id: int
    programme_id: int
    programme: str
    name: str
    trade: str
    status: str
    venue: str
    timetable: str
    registration_opens_at: datetime
    registration_closes_at: datetime
    registration_closed_at: datetime | None
    rules_name: str
    rules_sha256: str
    rules_locked_at: datetime | None
    titles: int
    nominee_awards: int
    stages: list[StageSetupOut]
    entrants: dict[str, int]
    entrant_total: int
    judges: dict[str, int]


@router.get("/programmes", response=ProgrammeListOut, summary="竞赛项目列表（本人数据范围内）")
def programme_list(request, filters: Query[ProgrammeFilters]):
    qs = selectors.programme_list(
        request.user, q=filters.q, year=filters.year, sort=filters.sort, kind=filters.kind
    )
    return page_dict(qs, filters.page)


@router.get(
    "/programmes/{int:pk}", response=ProgrammeDetailOut, summary="竞赛项目：工种竞赛与评委库"
)
def programme_get(request, pk: int):
    page = selectors.programme_page(request.user, pk)
    page.programme.competition_count = len(page.competitions)
    return {
        "programme": page.programme,
        "description": page.programme.description,
        "competitions": page.competitions,
        "judges": page.judges,
    }


@router.get("/competitions/{int:pk}", response=CompetitionSetupOut, summary="工种竞赛概况")
def competition_get(request, pk: int):
    page = selectors.competition_page(request.user, pk)
    c = page.competition
    return {
        **{
            field: getattr(c, field)
            for field in (
                "id",
                "programme_id",
                "name",
                "status",
                "venue",
                "timetable",
                "registration_opens_at",
                "registration_closes_at",
                "registration_closed_at",
                "rules_name",
                "rules_sha256",
                "rules_locked_at",
                "titles",
                "nominee_awards",
            )
        },
        "programme": c.programme.name,
        "trade": c.trade.name,
        "stages": page.stages,
        "entrants": page.entrants,
        "entrant_total": page.entrant_total,
        "judges": page.judges,
    }
