"""The card network over JSON: the same services, selectors and scope as the pages.

``cards_router`` (union staff: cards in scope, issue, status changes), ``counter_router``
(a merchant's counter account: check a card's QR code; the answer is masked) and
``merchants_router`` (staff: merchants in scope; members: the offers). Mounted in
``gonghui/api.py`` at /api/v1/cards, /api/v1/counter and /api/v1/merchants."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Router, Schema, Status
from pydantic import Field

from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.common.pagination import page_dict
from gonghui.common.schemas import StrictSchema, one_of
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.perks import network
from gonghui.perks.models import Merchant

cards_router = Router(tags=["会员服务·服务卡"])
counter_router = Router(tags=["会员服务·商户核验"])
merchants_router = Router(tags=["会员服务·合作商户"])


def _need(request, perm: str) -> None:
    if not access.can(request.user, perm):
        raise NotFound()


# --- Cards -----------------------------------------------------------------------------------


class CardOut(Schema):
    id: int
    number: str
    holder: str
    org_unit_id: int
    org_unit: str
    status: str
    status_label: str
    issued_at: datetime

    @staticmethod
    def resolve_holder(obj):
        return obj.person.name

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class CardPage(Schema):
    count: int
    count_capped: bool
    page: int
    items: list[CardOut]


class CardDetail(CardOut):
    status_changed_at: datetime | None
    status_reason: str
    replaced_by: str | None
    replaces: str | None

    @staticmethod
    def resolve_replaced_by(obj):
        return obj.replaced_by.number if obj.replaced_by_id else None

    @staticmethod
    def resolve_replaces(obj):
        old = getattr(obj, "replaces", None)
        return old.number if old is not None else None


class IssueIn(StrictSchema):
    person_id: int | None = Field(None, description="人员ID（与身份证号二选一）")
    id_number: str | None = Field(None, max_length=40, description="身份证号（与人员ID二选一）")


class CardReasonIn(StrictSchema):
    reason: str = Field("", max_length=200)


@cards_router.get("", response=CardPage, summary="服务卡（本单位范围）")
def card_list(
    request, status: str = "", q: str = "", sort: one_of(network.CARD_SORTS) = "", page: int = 1
):
    _need(request, "perks.view")
    cards = network.card_list(actor=request.user, status=status[:12], q=q[:60], sort=sort[:12])
    return page_dict(cards, page)


def _card(request, pk: int):
    return network.card_get(actor=request.user, pk=pk)


@cards_router.get("/{int:pk}", response=CardDetail, summary="服务卡详情")
def card_get(request, pk: int):
    _need(request, "perks.view")
    return _card(request, pk)


@cards_router.post("", response={201: CardOut}, summary="办理服务卡")
def card_issue(request, body: IssueIn):
    _need(request, "perks.cards")
    if (body.person_id is None) == (body.id_number is None):
        raise ValidationFailed({"person_id": "请提供人员ID或身份证号（二选一）"})
    if body.id_number is not None:
        person = network.card_person(actor=request.user, id_number=body.id_number)
    else:
        person = network.card_person(actor=request.user, pk=body.person_id)
    return Status(201, network.card_issue(actor=request.user, person=person))


@cards_router.post("/{int:pk}/suspend", response=CardOut, summary="暂停服务卡（须写明原因）")
def card_suspend(request, pk: int, body: CardReasonIn):
    _need(request, "perks.view")
    return network.card_suspend(actor=request.user, card=_card(request, pk), reason=body.reason)


@cards_router.post("/{int:pk}/resume", response=CardOut, summary="恢复服务卡")
def card_resume(request, pk: int, body: CardReasonIn):
    _need(request, "perks.view")
    return network.card_resume(actor=request.user, card=_card(request, pk), reason=body.reason)


@cards_router.post("/{int:pk}/cancel", response=CardOut, summary="注销服务卡（须写明原因）")
def card_cancel(request, pk: int, body: CardReasonIn):
    _need(request, "perks.view")
    return network.card_cancel(actor=request.user, card=_card(request, pk), reason=body.reason)


@cards_router.post(
    "/{int:pk}/reissue", response=CardOut, summary="挂失补卡（须写明原因；返回新卡）"
)
def card_reissue(request, pk: int, body: CardReasonIn):
    _need(request, "perks.view")
    return network.card_reissue(actor=request.user, card=_card(request, pk), reason=body.reason)


# --- The counter -----------------------------------------------------------------------------


class VerifyIn(StrictSchema):
    token: str = Field(max_length=200, description="会员出示的二维码内容")


class VerifyOut(Schema):
    valid: bool
    name: str = Field(description="持卡人姓名（遮盖，如 赵*）")
    card: str = Field(description="卡号（只显示后四位）")
    reason: str


@counter_router.post("/verify", response=VerifyOut, summary="核验会员服务卡二维码（商户核验账号）")
def verify(request, body: VerifyIn):
    return network.card_verify(actor=request.user, token=body.token)


# --- Merchants and offers --------------------------------------------------------------------


class MerchantOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    plan: str
    plan_label: str
    discount: str
    phone: str
    valid_from: date
    valid_until: date
    is_active: bool
    org_unit_id: int
    org_unit: str
    location_count: int

    @staticmethod
    def resolve_category_label(obj):
        return obj.get_category_display()

    @staticmethod
    def resolve_plan_label(obj):
        return obj.get_plan_display()

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.name


class MerchantPage(Schema):
    count: int
    count_capped: bool
    page: int
    items: list[MerchantOut]


class OfferOut(Schema):
    title: str
    discount: str
    terms: str
    valid_from: date
    valid_until: date


class LocationOut(Schema):
    name: str
    address: str
    district: str

    @staticmethod
    def resolve_district(obj):
        return obj.district.name


class MemberMerchantOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    plan: str
    discount: str
    description: str
    phone: str
    offers: list[OfferOut]
    locations: list[LocationOut]

    @staticmethod
    def resolve_category_label(obj):
        return obj.get_category_display()

    @staticmethod
    def resolve_offers(obj):
        return obj.current_offers

    @staticmethod
    def resolve_locations(obj):
        return list(obj.locations.all())


class MemberMerchantPage(Schema):
    count: int
    count_capped: bool
    page: int
    items: list[MemberMerchantOut]


def _district(pk: int | None) -> OrgUnit | None:
    if pk is None:
        return None
    district = OrgUnit.objects.filter(pk=pk, level=OrgUnit.Level.DISTRICT).first()
    if district is None:
        raise ValidationFailed({"district": "没有这个区"})
    return district


def _category(value: str) -> str:
    if value and value not in Merchant.Category.values:
        raise ValidationFailed({"category": "没有这个类别"})
    return value


@merchants_router.get("", response=MerchantPage, summary="合作商户（本单位签约范围）")
def merchant_list(
    request,
    category: str = "",
    plan: one_of(Merchant.Plan.values) = "",
    district: int | None = None,
    q: str = "",
    sort: one_of(network.MERCHANT_SORTS) = "",
    page: int = 1,
):
    _need(request, "perks.view")
    merchants = network.merchant_list(
        actor=request.user,
        category=_category(category),
        plan=plan[:10],
        district=_district(district),
        q=q[:60],
        sort=sort[:12],
    )
    return page_dict(merchants, page)


@merchants_router.get("/offers", response=MemberMerchantPage, summary="会员优惠（登录会员可见）")
def offers(request, category: str = "", district: int | None = None, q: str = "", page: int = 1):
    merchants = network.offers_for_members(
        category=_category(category) or None, district=_district(district), q=q[:40]
    )
    return page_dict(merchants, page)
