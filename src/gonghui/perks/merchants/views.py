"""Pages of the partner merchants: merchants with their shops, offers and counter accounts
for union staff, and the offers members browse on their phones. Thin: parse, call a service
or a selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common.errors import DomainError
from gonghui.common.pagination import filtered_page
from gonghui.common.views import apply_errors, domain_errors, form_page
from gonghui.orgs import access
from gonghui.perks.merchants import forms, selectors, services


@login_required
@domain_errors
def merchant_list(request):
    access.require(request.user, "perks.view")
    filters = forms.MerchantFilterForm(request.GET)
    sort = request.GET.get("sort", "")
    page = filtered_page(request, filters, selectors.merchant_list, actor=request.user, sort=sort)
    return render(
        request,
        "perks/merchants/merchants.html",
        {
            "filters": filters,
            "page": page,
            "may_create": access.can(request.user, "perks.manage"),
        },
    )


@login_required
@domain_errors
def merchant_create(request):
    access.require(request.user, "perks.manage")
    return form_page(
        request,
        forms.MerchantForm(request.POST or None, actor=request.user, creating=True),
        lambda data: services.merchant_create(actor=request.user, **data),
        "perks/merchants/merchant_form.html",
        {"merchant": None},
        done=lambda merchant: f"已签约商户“{merchant.name}”，请添加门店、优惠和核验账号",
        after=_merchant_url,
    )


def _merchant_url(merchant) -> str:
    return reverse("perks:merchant_detail", args=[merchant.pk])


def _managed(request, pk):
    return selectors.merchant_get(actor=request.user, pk=pk, perm="perks.manage")


@login_required
@domain_errors
def merchant_edit(request, pk):
    merchant = _managed(request, pk)
    initial = {f: getattr(merchant, f) for f in services.MERCHANT_FIELDS}
    return form_page(
        request,
        forms.MerchantForm(request.POST or None, initial=initial),
        lambda data: services.merchant_change(actor=request.user, merchant=merchant, **data),
        "perks/merchants/merchant_form.html",
        {"merchant": merchant},
        done=lambda _: "已保存",
        after=lambda _: _merchant_url(merchant),
    )


def _merchant_page(request, merchant, status: int = 200, **bound):
    page = selectors.merchant_page(actor=request.user, merchant=merchant)
    context = dict(vars(page))
    if page.may_manage:
        context |= {
            "location_form": forms.LocationForm(),
            "offer_form": forms.OfferForm(),
            "staff_form": forms.StaffForm(merchant=merchant),
            **bound,
        }
    return render(request, "perks/merchants/merchant.html", context, status=status)


@login_required
@domain_errors
def merchant_detail(request, pk):
    access.require(request.user, "perks.view")
    return _merchant_page(request, selectors.merchant_get(actor=request.user, pk=pk))


def _add(request, merchant, form, key: str, call, done):
    """An add form of the merchant page: on success back to the page with a message; else
    the page again with the errors next to the form's fields."""
    if form.is_valid():
        try:
            created = call(form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done(created))
            return redirect("perks:merchant_detail", pk=merchant.pk)
    return _merchant_page(request, merchant, status=422, **{key: form})


@login_required
@domain_errors
@require_POST
def location_add(request, pk):
    merchant = _managed(request, pk)
    return _add(
        request,
        merchant,
        forms.LocationForm(request.POST),
        "location_form",
        lambda data: services.location_add(actor=request.user, merchant=merchant, **data),
        lambda location: f"已添加门店“{location.name}”",
    )


@login_required
@domain_errors
@require_POST
def offer_add(request, pk):
    merchant = _managed(request, pk)
    return _add(
        request,
        merchant,
        forms.OfferForm(request.POST),
        "offer_form",
        lambda data: services.offer_save(actor=request.user, merchant=merchant, **data),
        lambda offer: f"已添加优惠“{offer.title}”",
    )


@login_required
@domain_errors
def offer_edit(request, pk, offer_pk):
    merchant = _managed(request, pk)
    offer = selectors.offer_get(merchant=merchant, pk=offer_pk)
    initial = {f: getattr(offer, f) for f in services.OFFER_FIELDS}
    return form_page(
        request,
        forms.OfferForm(request.POST or None, initial=initial),
        lambda data: services.offer_save(
            actor=request.user, merchant=merchant, offer=offer, **data
        ),
        "perks/merchants/offer_form.html",
        {"merchant": merchant, "offer": offer},
        done=lambda _: f"已保存优惠“{offer.title}”",
        after=lambda _: _merchant_url(merchant),
    )


@login_required
@domain_errors
@require_POST
def merchant_staff_add(request, pk):
    merchant = _managed(request, pk)
    return _add(
        request,
        merchant,
        forms.StaffForm(request.POST, merchant=merchant),
        "staff_form",
        lambda data: services.merchant_staff_add(actor=request.user, merchant=merchant, **data),
        lambda staff: f"已创建核验账号 {staff.user.username}（登录后进入“商户核验”页面）",
    )


# --- The offers, for members (phone) ---------------------------------------------------------


@login_required
def member_offers(request):
    filters = forms.OfferFilterForm(request.GET)
    page = filtered_page(request, filters, selectors.offers_for_members)
    return render(request, "perks/merchants/member_offers.html", {"filters": filters, "page": page})
