"""Judging over JSON: the judge's phone sends its marks here (its session and CSRF token,
like the other session POSTs) and reads its stage.

POST ``/marks`` takes the entrant as its number (参赛号, what the judge sees), the value as
text ("38.5": never a JSON number, whose binary value is not the mark the judge entered)
and the device's idempotency key (a UUID per mark): 201 ``{"id", "status": "recorded"}``
for a new mark, 200 ``{"id", "status": "duplicate"}`` for a key already stored with the
same content, 422 naming the field for a refusal, 409 for a key reused for other content."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from gonghui.common.schemas import RecordId, StrictSchema
from gonghui.contests.judging import selectors, services

router = Router(tags=["工匠选树与技能竞赛·评分"])


class MarkIn(StrictSchema):
    stage: RecordId = Field(description="赛段 id")
    entrant: int = Field(ge=1, le=999_999, description="参赛号")
    aspect: str = Field(max_length=20, description="评分项代码，如 M1")
    value: str = Field(max_length=12, description='分数（文本），如 "38.5"')
    key: str = Field(max_length=64, description="幂等键：设备为每条评分生成的 UUID")


class MarkCorrectIn(StrictSchema):
    value: str = Field(max_length=12, description="更正后的分数（文本）")
    reason: str = Field(max_length=200, description="更正原因")
    key: str = Field(max_length=64, description="幂等键：设备为每条更正生成的 UUID")


class MarkAnswer(Schema):
    id: int
    status: str = Field(description="recorded（已记录）或 duplicate（此前已记录）")


def _answer(marked: services.Marked):
    status = "duplicate" if marked.duplicate else "recorded"
    return Status(200 if marked.duplicate else 201, {"id": marked.mark.pk, "status": status})


@router.post("/marks", response={200: MarkAnswer, 201: MarkAnswer}, summary="裁判提交评分（幂等）")
def mark_submit(request: HttpRequest, payload: MarkIn):
    return _answer(
        services.mark_submit(
            actor=request.user,
            stage=payload.stage,
            entrant=payload.entrant,
            aspect=payload.aspect,
            value=payload.value,
            key=payload.key,
        )
    )


@router.post(
    "/marks/{int:pk}/correct",
    response={200: MarkAnswer, 201: MarkAnswer},
    summary="裁判更正评分（新评分替代原评分，原评分保留）",
)
def mark_correct(request: HttpRequest, pk: int, payload: MarkCorrectIn):
    return _answer(
        services.mark_correct(
            actor=request.user,
            mark=pk,
            value=payload.value,
            reason=payload.reason,
            key=payload.key,
        )
    )


class JudgeAspectOut(Schema):
    code: str
    name: str
    kind: str
    max: str
    descriptors: str


class JudgeMarkOut(Schema):
    id: int
    value: str
    corrections: int


class JudgeEntrantOut(Schema):
    entrant: int
    match: str
    absent: bool
    recused: bool
    locked: bool
    marks: dict[str, JudgeMarkOut]


class JudgeStageOut(Schema):
    id: int
    name: str
    status: str
    competition: str
    judge: str
    aspects: list[JudgeAspectOut]
    entrants: list[JudgeEntrantOut]


@router.get(
    "/judge/stages/{int:pk}", response=JudgeStageOut, summary="裁判：本人所在场次的参赛人与评分"
)
def judge_stage(request: HttpRequest, pk: int):
    page = selectors.judge_stage(request.user, pk)
    return {
        "id": page.stage.pk,
        "name": page.stage.name,
        "status": page.stage.status,
        "competition": page.stage.competition.name,
        "judge": page.judge.name,
        "aspects": [
            {
                "code": a["code"],
                "name": a.get("name", a["code"]),
                "kind": a.get("kind", ""),
                "max": str(a.get("max", "")),
                "descriptors": a.get("descriptors", ""),
            }
            for a in page.aspects
        ],
        "entrants": [
            {
                "entrant": e.number,
                "match": e.match,
                "absent": e.absent,
                "recused": e.recused,
                "locked": e.locked,
                "marks": e.marks,
            }
            for e in page.entrants
        ],
    }
