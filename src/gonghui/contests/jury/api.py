"""Public jury over JSON: the juror's vote (their pass in the header ``X-Juror-Pass``, no
account) and a stage's voting progress (staff).

The vote checks the pass in the handler rather than as the operation's authentication, so
that a body the API would refuse anyway is refused the same way for every caller (the API's
contract: unknown fields, JSON types, NULs); a vote without a valid pass is a 401 before
anything is read or written."""

from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Router, Schema
from pydantic import Field

from gonghui.common.schemas import RecordId, StrictSchema
from gonghui.contests.jury import passes, selectors, services

router = Router(tags=["工匠选树与技能竞赛·大众评委"])


def _json(status: int, body: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


class JurorVoteIn(StrictSchema):
    stage: RecordId
    entrant: RecordId = Field(description="参赛人编号（id）")
    value: str = Field(max_length=12, description='分数，文本形式的数字，如 "88" 或 "8.5"')
    key: str = Field(description="幂等键：同一票的重试使用同一个键（8–64 位）")


@router.post(
    "/votes",
    auth=None,
    summary="大众评委投票（请求头 X-Juror-Pass：投票凭证）",
    description="201：已记录；200：同一幂等键的重复提交（返回已记录的票）；"
    "422：分数或投票时间不符（逾期或成绩锁定后的票会被记录为“不计入”）；"
    "409：已投过票、回避、未入座或凭证已作废；401：没有有效的投票凭证。",
)
def vote(request, payload: JurorVoteIn):
    found = passes.read(request.headers.get(passes.HEADER, ""))
    if found is None:
        return _json(
            401,
            {"code": "unauthorized", "message": f"请提供有效的投票凭证（请求头 {passes.HEADER}）"},
        )
    cast = services.vote_cast(
        juror=found[0],
        pass_count=found[1],
        stage=payload.stage,
        entrant=payload.entrant,
        value=payload.value,
        key=payload.key,
    )
    body = {
        "code": "duplicate" if cast.duplicate else "recorded",
        "message": "该票已记录（重复提交不重复计票）" if cast.duplicate else "投票成功",
        "vote": {
            "id": cast.pk,
            "stage": cast.stage_id,
            "entrant": cast.entrant_key,
            "value": cast.value,
            "late": cast.late,
        },
    }
    return _json(200 if cast.duplicate else 201, body)


class JurorProgressOut(Schema):
    juror: str
    name: str
    votes: int
    late: int
    counted: bool


class StageVotesOut(Schema):
    stage: int
    entrants: int
    votes: int
    late: int
    counted: int
    jurors: list[JurorProgressOut]
    scores: dict[str, str]


@router.get(
    "/stages/{int:pk}/votes", response=StageVotesOut, summary="大众评委投票进度（工作人员）"
)
def stage_votes(request, pk: int):
    page = selectors.stage_votes(request.user, pk)
    return {
        "stage": page.stage.pk,
        "entrants": page.entrants,
        "votes": page.votes,
        "late": page.late,
        "counted": page.counted,
        "jurors": [
            {
                "juror": r.key,
                "name": r.juror.name,
                "votes": r.votes,
                "late": r.late,
                "counted": r.counted,
            }
            for r in page.jurors
        ],
        "scores": dict(page.scores),
    }
