"""Giveaways over JSON.

Members' phones claim with their pass (header ``X-Member-Pass``, see ``passes``), not their
session: checking a signature costs microseconds, a session a database round trip (and a
write per request). ``/perks/ping`` (no authentication) and ``/perks/me`` (the pass only)
are the baselines the claim benchmark is measured against. Staff use their session or
token as everywhere else; the published draw is public, limited per address."""

from __future__ import annotations

import json
from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.security import APIKeyHeader
from pydantic import Field

from gonghui.common import ratelimit
from gonghui.common.errors import Throttled
from gonghui.common.metrics import CLAIMS
from gonghui.common.schemas import StrictSchema, one_of
from gonghui.orgs.auth import TokenAuth, session_auth
from gonghui.perks import passes
from gonghui.perks.giveaways import claims, selectors, services
from gonghui.perks.giveaways.claims import Answer
from gonghui.perks.models import Giveaway

router = Router(tags=["会员服务·普惠活动"])


class MemberPass(APIKeyHeader):
    param_name = passes.HEADER

    def authenticate(self, request, key):
        return passes.person_of(key) if key else None


member = MemberPass()
staff = [TokenAuth(), session_auth]


def _json(status: int, body: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


def _answer(answer: Answer) -> HttpResponse:
    CLAIMS.labels(answer.code).inc()
    body = {"code": answer.code, "message": answer.message}
    if answer.claim is not None:
        body["claim"] = answer.claim
    return _json(answer.status, body)


@router.get("/ping", auth=None, summary="连通性检查（无需登录）")
def ping(request):
    return _json(200, {"ok": True})


@router.get("/me", auth=member, summary="当前会员（会员通行证）")
def me(request):
    return _json(200, {"person": request.auth})


class PassOut(Schema):
    token: str = Field(serialization_alias="pass")
    header: str
    expires_in: int


@router.get("/pass", auth=staff, response=PassOut, by_alias=True, summary="领取会员通行证")
def member_pass(request):
    return {
        "token": passes.issue(_person_id(request)),
        "header": passes.HEADER,
        "expires_in": passes.MAX_AGE,
    }


class ClaimIn(StrictSchema):
    key: str = Field(description="幂等键：同一次点击的重试使用同一个键（8–64 位）")
    quantity: int = 1


@router.post("/giveaways/{int:pk}/claim", auth=member, summary="抢票 / 登记摇号")
def claim(request, pk: int, payload: ClaimIn):
    return _answer(
        claims.claim(
            person_id=request.auth, giveaway_id=pk, key=payload.key, quantity=payload.quantity
        )
    )


class KeyIn(StrictSchema):
    key: str


@router.post("/giveaways/{int:pk}/waitlist", auth=member, summary="加入候补名单")
def waitlist(request, pk: int, payload: KeyIn):
    return _answer(
        claims.claim(person_id=request.auth, giveaway_id=pk, key=payload.key, waitlist=True)
    )


class ClaimOut(Schema):
    id: int
    giveaway: int
    title: str
    status: str
    status_label: str
    quantity: int
    receipt: str | None
    rank: int | None
    code: str | None
    pickup_from: datetime
    pickup_until: datetime
    pickup_place: str

    @staticmethod
    def resolve_giveaway(obj):
        return obj.giveaway_id

    @staticmethod
    def resolve_title(obj):
        return obj.giveaway.title

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_pickup_from(obj):
        return obj.giveaway.pickup_from

    @staticmethod
    def resolve_pickup_until(obj):
        return obj.giveaway.pickup_until

    @staticmethod
    def resolve_pickup_place(obj):
        location = obj.giveaway.pickup_location
        return f"{location}（{location.address}）"


def _person_id(request) -> int:
    return selectors.member_of(request.user).pk


# A member's claims (their pickup codes) and giving one back take the member's login, not
# the pass: a pass cannot be revoked before it expires, a session ends at logout.
@router.get("/claims", auth=staff, response=list[ClaimOut], summary="我的领取")
def my_claims(request):
    return list(selectors.member_claims(_person_id(request)))


@router.post("/claims/{int:pk}/cancel", auth=staff, response=ClaimOut, summary="取消领取")
def cancel(request, pk: int):
    person_id = _person_id(request)
    services.claim_cancel(person_id=person_id, claim_id=pk)
    return selectors.member_claim(person_id, pk)


# --- Staff ---------------------------------------------------------------------------------


class GiveawayOut(Schema):
    id: int
    title: str
    item: str
    mode: str
    status: str
    org_unit: str
    stock: int
    per_member: int
    opens_at: datetime
    closes_at: datetime
    pickup_from: datetime
    pickup_until: datetime
    commitment: str

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.name


class Counts(Schema):
    stock: int
    claimed: int
    picked_up: int
    cancelled: int
    released: int
    remaining: int
    waiting: int
    registered: int


@router.get("/giveaways", auth=staff, response=list[GiveawayOut], summary="普惠活动列表")
def giveaways(request, status: one_of(Giveaway.Status.values) = ""):
    return list(selectors.giveaway_list(actor=request.user, status=status)[:200])


@router.get("/giveaways/{int:pk}/counts", auth=staff, response=Counts, summary="实时统计")
def counts(request, pk: int):
    return selectors.giveaway_page(actor=request.user, pk=pk).counts


@router.get("/giveaways/{int:pk}/draw", auth=None, summary="摇号公示数据（公开）")
def draw_document(request, pk: int):
    if ratelimit.anonymous_over(request, "draw-document", selectors.DOCUMENT_DOWNLOADS):
        raise Throttled("请求过于频繁，请稍后再试")
    giveaway = selectors.published_giveaway(pk)
    return _json(200, selectors.draw_document(giveaway))
