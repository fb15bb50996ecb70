"""Registration over JSON: the public registration (no login, limited per address, a strict
body), the member's own entries, and the organiser's list of entrants (scoped; no ID
number, the phone masked)."""

from __future__ import annotations

from datetime import date

from ninja import Router, Schema, Status
from pydantic import Field

from gonghui.common import pii
from gonghui.common.net import client_key
from gonghui.common.pagination import page_dict
from gonghui.common.schemas import StrictSchema, one_of
from gonghui.contests.entry import selectors, services
from gonghui.contests.models import Entrant
from gonghui.contests.records import entrant_key
from gonghui.orgs import access

router = Router()


class RegisterIn(StrictSchema):
    name: str = Field(max_length=60, description="姓名")
    phone: str = Field(max_length=20, description="手机号（不公开）")
    age: int | None = Field(
        default=None, description="年龄（16–90；填写出生日期或身份证号时可省略）"
    )
    birth_date: date | None = Field(default=None, description="出生日期（可选）")
    employer_name: str = Field(max_length=120, description="工作单位")
    id_number: str = Field(
        default="", max_length=20, description="身份证号（选填：关联已有档案，不重复建档）"
    )


class RegisteredOut(Schema):
    """The same answer whether the registry knew the person or not."""

    competition: int
    number: int
    entrant: str
    status: str
    message: str


@router.post(
    "/competitions/{int:pk}/register",
    auth=None,
    response={201: RegisteredOut},
    summary="参赛报名（无需登录；按网络地址限次）",
)
def register(request, pk: int, payload: RegisterIn):
    competition = selectors.public_competition(pk)
    entrant = services.entrant_register(
        competition=competition, ip=client_key(request), **payload.dict()
    )
    return Status(
        201,
        {
            "competition": competition.pk,
            "number": entrant.number,
            "entrant": entrant_key(entrant.number),
            "status": entrant.status,
            "message": f"报名成功，参赛号 {entrant_key(entrant.number)}",
        },
    )


class ResultOut(Schema):
    stage: str
    score: str
    place: int
    advanced: bool

    @staticmethod
    def resolve_stage(obj):
        return obj.stage.name


class MyEntryOut(Schema):
    id: int
    competition_id: int
    competition: str
    trade: str
    number: int
    entrant: str
    status: str
    employer: str
    registered_at: str
    results: list[ResultOut]

    @staticmethod
    def resolve_competition(obj):
        return obj.competition.name

    @staticmethod
    def resolve_trade(obj):
        return obj.competition.trade.name

    @staticmethod
    def resolve_entrant(obj):
        return entrant_key(obj.number)

    @staticmethod
    def resolve_status(obj):
        return obj.shown_status

    @staticmethod
    def resolve_employer(obj):
        return obj.employer.name

    @staticmethod
    def resolve_registered_at(obj):
        return obj.registered_at.isoformat()

    @staticmethod
    def resolve_results(obj):
        return obj.public_results


@router.get("/me/entries", response=list[MyEntryOut], summary="我的参赛（成绩仅含已公布的）")
def my_entries(request):
    return selectors.my_entries(request.user)


class EntrantOut(Schema):
    id: int
    number: int
    entrant: str
    name: str
    age: int
    employer: str
    route: str
    nominated_by: str | None
    status: str
    phone: str
    registered_at: str

    @staticmethod
    def resolve_entrant(obj):
        return entrant_key(obj.number)

    @staticmethod
    def resolve_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_employer(obj):
        return obj.employer.name

    @staticmethod
    def resolve_nominated_by(obj):
        return obj.nominated_by.name if obj.nominated_by_id else None

    @staticmethod
    def resolve_phone(obj):
        return pii.mask("phone", obj.person.phone)

    @staticmethod
    def resolve_registered_at(obj):
        return obj.registered_at.isoformat()


class EntrantListOut(Schema):
    count: int
    count_capped: bool
    page: int
    items: list[EntrantOut]


@router.get(
    "/competitions/{int:pk}/entrants",
    response=EntrantListOut,
    summary="参赛人名单（主办工会数据范围内；手机号脱敏；分页，page 翻页）",
)
def entrants(
    request,
    pk: int,
    status: one_of(Entrant.Status.values) = "",
    route: one_of(Entrant.Route.values) = "",
    q: str = "",
    sort: one_of(selectors.ENTRANT_SORTS) = "",
    page: int = 1,
):
    access.require(request.user, "contests.view")
    qs = selectors.entrant_list(
        actor=request.user, competition_pk=pk, status=status, route=route, q=q, sort=sort
    )
    return page_dict(qs, page)
