"""The counter over JSON: a merchant's counter account checks a member's card QR code
(``router``, mounted at /api/v1/counter; the answer is masked), and a venue accepts a
giveaway's pickup code (``pickups_router``, mounted with the giveaways at /api/v1/perks).
Both in ``gonghui/api.py``."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from pydantic import Field

from gonghui.common.schemas import StrictSchema
from gonghui.perks.counter import services

router = Router(tags=["会员服务·商户核验"])
pickups_router = Router(tags=["会员服务·普惠活动"])


class VerifyIn(StrictSchema):
    token: str = Field(max_length=200, description="会员出示的二维码内容")


class VerifyOut(Schema):
    valid: bool
    name: str = Field(description="持卡人姓名（遮盖，如 赵*）")
    card: str = Field(description="卡号（只显示后四位）")
    reason: str


@router.post("/verify", response=VerifyOut, summary="核验会员服务卡二维码（商户核验账号）")
def verify(request, body: VerifyIn):
    return services.card_verify(actor=request.user, token=body.token)


class CodeIn(StrictSchema):
    code: str


class PickupOut(Schema):
    claim: int
    title: str
    quantity: int
    picked_up_at: datetime


@pickups_router.post("/pickups", response=PickupOut, summary="核销领取码")
def pickup(request, payload: CodeIn):
    done = services.pickup_accept(actor=request.user, code=payload.code)
    return {
        "claim": done.pk,
        "title": done.giveaway.title,
        "quantity": done.quantity,
        "picked_up_at": done.picked_up_at,
    }
