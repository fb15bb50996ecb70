"""Reads of partner merchants: those signed in the actor's scope, one merchant's page with
its shops, offers and counter accounts, and the offers members browse on their phones."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet

from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.common.workdays import today
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.perks.models import Location, Merchant, MerchantStaff, Offer

MERCHANT_SORTS = {
    "name": "name",
    "-name": "-name",
    "category": "category",
    "-category": "-category",
    "until": "valid_until",
    "-until": "-valid_until",
    "unit": "org_unit__path",
    "-unit": "-org_unit__path",
}


def _district_q(district) -> Q:
    return Q(pk__in=Location.objects.filter(district=district).values("merchant_id"))


def merchant_list(
    *, actor, category: str = "", plan: str = "", district=None, q: str = "", sort: str = ""
) -> QuerySet[Merchant]:
    """Merchants signed in the actor's member-services scope."""
    qs = access.restrict(Merchant.objects.select_related("org_unit"), actor, "perks.view")
    if category:
        qs = qs.filter(category=category)
    if plan:
        qs = qs.filter(plan=plan)
    if district:
        qs = qs.filter(_district_q(district))
    q = (q or "").strip()[:60]
    if q:
        qs = qs.filter(name__contains=q)
    return qs.annotate(
        location_count=Count("locations", distinct=True),
        staff_count=Count("staff", distinct=True),
    ).order_by(MERCHANT_SORTS.get(sort, "name"), "pk")


def signing_units(actor) -> QuerySet[OrgUnit]:
    """The active unions the actor may sign a merchant at (``perks.manage``). Merchants are
    signed by a district, street or the city, not by a grassroots union (thousands of them
    would make the list unusable, and none signs)."""
    return (
        access.visible_units(actor, "perks.manage")
        .filter(is_active=True)
        .exclude(level=OrgUnit.Level.GRASSROOTS)
        .order_by("path")
    )


def districts() -> QuerySet[OrgUnit]:
    """The active districts, for a shop's place and the members' filter."""
    return OrgUnit.objects.filter(level=OrgUnit.Level.DISTRICT, is_active=True).order_by("path")


def merchant_get(*, actor, pk, perm: str = "perks.view") -> Merchant:
    """A merchant in the actor's scope for ``perm`` (``perks.manage`` for its edit pages:
    those who may only see it get "not found" there, the page has nothing for them)."""
    return access.get_or_404(Merchant.objects.select_related("org_unit"), actor, perm, pk=pk)


def offers_for_members(category=None, district=None, q: str = "") -> QuerySet[Merchant]:
    """What members browse: active merchants within their validity today (Beijing time),
    each with its current offers (``current_offers``) and its shops; by category, by a
    shop's district, by a fragment of the merchant's or an offer's name."""
    day = today()
    current = Offer.objects.filter(valid_from__lte=day, valid_until__gte=day)
    qs = Merchant.objects.filter(is_active=True, valid_from__lte=day, valid_until__gte=day)
    if category:
        qs = qs.filter(category=category)
    if district:
        qs = qs.filter(_district_q(district))
    q = unicodedata.normalize("NFKC", q or "").strip()[:40]
    if q:
        qs = qs.filter(
            Q(name__contains=q) | Q(pk__in=current.filter(title__contains=q).values("merchant_id"))
        )
    return qs.prefetch_related(
        Prefetch("offers", current.order_by("valid_until", "pk"), to_attr="current_offers"),
        Prefetch("locations", Location.objects.select_related("district").order_by("pk")),
    ).order_by("category", "name", "pk")


@dataclass
class MerchantPage:
    """A merchant's page: its shops, offers and counter accounts, whether the actor may
    manage it (``perks.manage`` at the signing union), and today's date (Beijing) to mark
    an expired or future contract."""

    merchant: Merchant
    locations: QuerySet[Location]
    offers: QuerySet[Offer]
    staff: QuerySet[MerchantStaff]
    may_manage: bool
    today: date


def merchant_page(*, actor, merchant: Merchant) -> MerchantPage:
    return MerchantPage(
        merchant=merchant,
        locations=merchant.locations.select_related("district").order_by("pk"),
        offers=merchant.offers.order_by("-valid_from", "pk"),
        staff=MerchantStaff.objects.filter(merchant=merchant)
        .select_related("user", "location")
        .order_by("pk"),
        may_manage=access.can_at(actor, "perks.manage", merchant.org_unit),
        today=today(),
    )


def offer_get(*, merchant: Merchant, pk) -> Offer:
    """One offer of ``merchant`` (a merchant the actor may manage, ``merchant_get``)."""
    offer = merchant.offers.filter(pk=pk).first()
    if offer is None:
        raise NotFound()
    return offer


def district_get(pk: int | None) -> OrgUnit | None:
    """A district to filter by (None: all); an id that is no district is refused."""
    if pk is None:
        return None
    district = OrgUnit.objects.filter(pk=pk, level=OrgUnit.Level.DISTRICT).first()
    if district is None:
        raise ValidationFailed({"district": "没有这个区"})
    return district
