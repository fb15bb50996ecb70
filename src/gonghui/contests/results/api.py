"""Results over JSON (mounted at /api/v1/contests): a stage's true results for its staff,
locking them, the advancing preview and its confirmation, the titles, the talent database.
The same selectors, services and scope as the pages."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field

from gonghui.common.pagination import page_dict
from gonghui.common.schemas import RecordId, StrictSchema, one_of
from gonghui.contests.results import selectors, services
from gonghui.contests.results.selectors import TALENT_SORTS, TITLE_FILTERS
from gonghui.orgs import access
from gonghui.people.models import Person

router = Router(tags=["工匠选树与技能竞赛·成绩与人才库"])


class ContestResultOut(Schema):
    entrant: str = Field(description="参赛号（三位）")
    entrant_id: int
    name: str
    employer: str
    score: str = Field(description="成绩（完整精度的十进制文本）")
    score_shown: str = Field(description="成绩（两位小数，四舍五入）")
    place: int | None
    advanced: bool
    revealed: bool
    parts: dict[str, str] = Field(
        description="各评分项汇总、分项合计、judges:评分项 = 计入的裁判数"
    )


class ContestStageResultsOut(Schema):
    stage: int
    name: str
    status: str
    scheme_version: int
    locked: bool
    provisional: bool = Field(description="尚未锁定：按现有评分计算的预览")
    frozen: bool
    missing_sheets: int
    advancing: list[int] = Field(description="按规则晋级的参赛人（id，名次顺序）")
    confirmed: bool
    blockers: list[str] = Field(description="现在不能确认晋级的原因")
    results: list[ContestResultOut]


class ContestAdvanceIn(StrictSchema):
    advancing: list[int] = Field(description="裁判长看到并确认的晋级名单（参赛人 id）")


class ContestTitlesOut(Schema):
    awarded: bool
    titles: list[str]
    nominees: list[str]


def _stage_out(page: selectors.StagePage) -> dict:
    parts = {
        row.key: {c.key: v for c, (v, _, _) in zip(page.columns, row.values, strict=True)}
        | {c.judges: j for c, (_, _, j) in zip(page.columns, row.values, strict=True) if j}
        for row in page.rows
    }
    return {
        "stage": page.stage.pk,
        "name": page.stage.name,
        "status": page.stage.status,
        "scheme_version": page.stage.scheme_version,
        "locked": page.locked,
        "provisional": page.provisional,
        "frozen": page.frozen,
        "missing_sheets": page.missing,
        "advancing": page.preview.advancing,
        "confirmed": page.preview.confirmed,
        "blockers": page.preview.blockers,
        "results": [
            {
                "entrant": row.key,
                "entrant_id": row.entrant.pk,
                "name": row.entrant.person.name,
                "employer": row.entrant.employer.name,
                "score": row.score,
                "score_shown": row.shown,
                "place": row.place,
                "advanced": row.advanced,
                "revealed": row.revealed,
                "parts": {k: str(v) for k, v in parts[row.key].items() if v != ""},
            }
            for row in page.rows
        ],
    }


@router.get(
    "/stages/{int:pk}/results",
    response=ContestStageResultsOut,
    summary="赛段成绩（工作人员：真实成绩、各评分项与计入裁判数、晋级预览）",
)
def stage_results(request, pk: int):
    return _stage_out(selectors.stage_page(actor=request.user, pk=pk))


@router.post(
    "/stages/{int:pk}/results/lock",
    response=ContestStageResultsOut,
    summary="锁定赛段成绩（裁判长）",
)
def results_lock(request, pk: int):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    services.results_lock(actor=request.user, stage=stage)
    return _stage_out(selectors.stage_page(actor=request.user, pk=pk))


@router.post(
    "/stages/{int:pk}/advance",
    response=ContestStageResultsOut,
    summary="确认晋级名单（裁判长；须与规则计算一致，重复确认无副作用）",
)
def advance_confirm(request, pk: int, payload: ContestAdvanceIn):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    services.advance_confirm(actor=request.user, stage=stage, advancing=payload.advancing)
    return _stage_out(selectors.stage_page(actor=request.user, pk=pk))


@router.post(
    "/competitions/{int:pk}/titles",
    response=ContestTitlesOut,
    summary="评定称号与提名奖（写入劳模工匠档案，推荐工匠创新工作室；重复评定无副作用）",
)
def titles_award(request, pk: int):
    competition = selectors.competition_get(actor=request.user, pk=pk)
    services.titles_award(actor=request.user, competition=competition)
    page = selectors.titles_page(actor=request.user, pk=pk)
    return {
        "awarded": page.awarded,
        "titles": [row.key for row in page.titles],
        "nominees": [row.key for row in page.nominees],
    }


class TalentParams(Schema):
    q: str = Field("", max_length=40)
    trade: RecordId | None = None
    level: one_of(Person.SkillLevel.values) = ""
    title: one_of(TITLE_FILTERS) = ""
    sort: one_of(TALENT_SORTS) = ""
    page: int = 1


class TalentOut(Schema):
    id: int
    name: str
    trades: list[str]
    skill_level: str
    skill_level_label: str
    employer: str
    org_unit: str
    best: str = Field(description="最好成绩：已公布成绩中走得最远的赛段及名次")
    titles: list[str]


class TalentPage(Schema):
    count: int
    count_capped: bool = False
    page: int
    items: list[TalentOut]


@router.get("/talent", response=TalentPage, summary="技能人才库（档案管理范围内）")
def talent(request, params: Query[TalentParams]):
    access.require(request.user, "registry.view")
    people = selectors.talent_list(
        actor=request.user,
        query=params.q,
        trade=params.trade,
        level=params.level,
        title=params.title,
        sort=params.sort,
    )
    page = page_dict(people, params.page)
    page["items"] = [
        {
            "id": row.person.pk,
            "name": row.person.name,
            "trades": row.trades,
            "skill_level": row.person.skill_level,
            "skill_level_label": row.person.get_skill_level_display(),
            "employer": row.person.employer.name if row.person.employer_id else "",
            "org_unit": row.person.org_unit.name,
            "best": row.best,
            "titles": row.titles,
        }
        for row in selectors.talent_rows(page["items"])
    ]
    return page
