"""题库与现场答题: JSON API. The answer endpoint is the hot path: the member's phone sends
its pass (header ``X-Member-Pass``, ``perks.passes``: a signed person id, checked in
microseconds, no session look-up) and its answers; ``answers.submit`` decides in one
statement. The body is read as it comes so that a malformed answer is refused naming the
question (``scoring.normalise``)."""

from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Router
from ninja.security import APIKeyHeader

from gonghui.common.schemas import UNKNOWN_FIELD, not_json
from gonghui.perks import passes
from gonghui.training.quizzes import answers

router = Router(tags=["职工素质建设·现场答题"])


class MemberPass(APIKeyHeader):
    param_name = passes.HEADER

    def authenticate(self, request, key):
        return passes.person_of(key) if key else None


def _json(status: int, body: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


@router.post(
    "/quizzes/{int:pk}/answer",
    auth=MemberPass(),
    summary="提交答题（会员通行证；同一作答重试返回相同回执）",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "answers": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"type": "integer"},
                                },
                                "description": "{题号: [选项序号（从 0 起）, ...]}",
                            }
                        },
                        "required": ["answers"],
                    }
                }
            },
            "required": True,
        }
    },
)
def answer(request, pk: int):
    kind = request.content_type or ""
    if kind != "application/json" and not kind.endswith("+json"):
        return _json(415, {"code": "unsupported_media_type", "message": not_json(kind)})
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and (unknown := sorted(set(body) - {"answers"})):
        return _json(
            422,
            {
                "code": "validation",
                "message": "提交的数据有误",
                "fields": dict.fromkeys(unknown, UNKNOWN_FIELD),
            },
        )
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        return _json(
            422,
            {
                "code": "malformed",
                "message": '作答格式不正确：应为 {"answers": {题号: [选项序号]}}',
            },
        )
    ack = answers.submit(person_id=request.auth, quiz_id=pk, answers=body["answers"])
    return _json(ack.status, ack.body())
