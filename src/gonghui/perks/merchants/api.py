"""Partner merchants over JSON (mounted at /api/v1/merchants in ``gonghui/api.py``): union
staff list the merchants signed in their scope; members browse the offers. The same
selectors and scope as the pages."""

from __future__ import annotations

from datetime import date

from ninja import Router, Schema

from gonghui.common.errors import ValidationFailed
from gonghui.common.pagination import page_dict
from gonghui.common.schemas import one_of
from gonghui.orgs import access
from gonghui.perks.merchants import selectors
from gonghui.perks.models import Merchant

router = Router(tags=["会员服务·合作商户"])


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


def _category(value: str) -> str:
    if value and value not in Merchant.Category.values:
        raise ValidationFailed({"category": "没有这个类别"})
    return value


@router.get("", response=MerchantPage, summary="合作商户（本单位签约范围）")
def merchant_list(
    request,
    category: str = "",
    plan: one_of(Merchant.Plan.values) = "",
    district: int | None = None,
    q: str = "",
    sort: one_of(selectors.MERCHANT_SORTS) = "",
    page: int = 1,
):
    access.require(request.user, "perks.view")
    merchants = selectors.merchant_list(
        actor=request.user,
        category=_category(category),
        plan=plan[:10],
        district=selectors.district_get(district),
        q=q[:60],
        sort=sort[:12],
    )
    return page_dict(merchants, page)


@router.get("/offers", response=MemberMerchantPage, summary="会员优惠（登录会员可见）")
def offers(request, category: str = "", district: int | None = None, q: str = "", page: int = 1):
    merchants = selectors.offers_for_members(
        category=_category(category) or None, district=selectors.district_get(district), q=q[:40]
    )
    return page_dict(merchants, page)
