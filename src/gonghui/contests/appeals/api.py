"""Arbitration over JSON: the entrant's appeal (their login), and the arbitration group's
ruling and re-scoring (staff with ``contests.arbitrate``)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from gonghui.common.schemas import RecordId, StrictSchema
from gonghui.contests.appeals import selectors, services
from gonghui.contests.records import entrant_key

router = Router(tags=["工匠选树与技能竞赛·申诉与仲裁"])


class ContestAppealIn(StrictSchema):
    stage: RecordId
    text: str = Field(max_length=services.TEXT_MAX, description="申诉内容")


class ContestAppealOut(Schema):
    id: int
    stage: int
    entrant: str
    status: str
    copies: int
    filed_at: datetime
    ruling: str
    rescore: bool
    merged: bool = False

    @staticmethod
    def resolve_stage(obj):
        return obj.stage_id

    @staticmethod
    def resolve_entrant(obj):
        return entrant_key(obj.entrant.number)

    @staticmethod
    def resolve_merged(obj):
        return getattr(obj, "merged", False)


@router.post(
    "/appeals",
    response={200: ContestAppealOut, 201: ContestAppealOut},
    summary="参赛人提出申诉（成绩公布后申诉期内）",
    description="201：已提交；200：与已有申诉内容相同，已合并（copies 加一）。",
)
def appeal_file(request, payload: ContestAppealIn):
    page = selectors.entrant_stage(request.user, payload.stage)
    appeal = services.appeal_file(
        actor=request.user, stage=page.stage, entrant=page.entrant, text=payload.text
    )
    return Status(200 if appeal.merged else 201, appeal)


class AppealRulingIn(StrictSchema):
    upheld: bool = Field(description="申诉是否成立")
    ruling: str = Field(max_length=services.RULING_MAX, description="裁决理由")
    rescore: bool | None = Field(
        default=None, description="申诉成立时是否须重评分数（默认须重评；否则裁决后结案）"
    )


@router.post("/appeals/{int:pk}/ruling", response=ContestAppealOut, summary="仲裁裁决（终局）")
def appeal_rule(request, pk: int, payload: AppealRulingIn):
    appeal = selectors.appeal_get(request.user, pk)
    return services.appeal_rule(
        actor=request.user,
        appeal=appeal,
        upheld=payload.upheld,
        ruling=payload.ruling,
        rescore=payload.rescore,
    )


class RescoreChangeIn(StrictSchema):
    judge: RecordId = Field(description="裁判（评委 id）")
    entrant: RecordId = Field(description="参赛人 id")
    aspect: str = Field(max_length=20, description="评分项代码")
    value: str = Field(max_length=12, description="更正后的分数（文本形式的数字）")


class RescoreIn(StrictSchema):
    changes: list[RescoreChangeIn] = Field(min_length=1, max_length=200)


class RescoreBatchOut(Schema):
    id: int
    appeal: int
    status: str
    changes: list[dict]
    preview: dict

    @staticmethod
    def resolve_appeal(obj):
        return obj.appeal_id


@router.post(
    "/appeals/{int:pk}/rescore",
    response=RescoreBatchOut,
    summary="重评预览（仅限申诉成立的裁决）：更正分数，预览名次变化",
)
def rescore_preview(request, pk: int, payload: RescoreIn):
    appeal = selectors.appeal_get(request.user, pk)
    return services.rescore_preview(
        actor=request.user, appeal=appeal, changes=[c.model_dump() for c in payload.changes]
    )


@router.post("/rescores/{int:pk}/apply", response=RescoreBatchOut, summary="重评整批生效")
def rescore_apply(request, pk: int):
    return services.rescore_apply(actor=request.user, batch=selectors.batch_get(request.user, pk))


@router.post("/rescores/{int:pk}/cancel", response=RescoreBatchOut, summary="取消重评批次")
def rescore_cancel(request, pk: int):
    return services.rescore_cancel(actor=request.user, batch=selectors.batch_get(request.user, pk))
