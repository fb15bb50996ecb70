"""Pages of the card network: cards and merchants for union staff, the member's own card
and the offers on a phone, and the merchant's counter. Thin: parse, call one service or
selector (``network.py``), render."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gonghui.common import pii
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.imports import ImportRejected, RowError, error_report
from gonghui.common.pagination import page_of
from gonghui.common.qr import qr_svg
from gonghui.common.views import (
    apply_errors,
    domain_errors,
    download,
    error_message,
    post_action,
)
from gonghui.jobs.services import upload_read
from gonghui.orgs import access
from gonghui.perks import network, passes
from gonghui.perks import network_forms as forms
from gonghui.perks.models import Card, MerchantStaff
from gonghui.perks.services import pickup_accept

IMPORT_ERRORS = "perks.cards_import_errors"  # the last refused import's rows, for the report
REPORT_MAX = 5000


def _need(request, perm: str) -> None:
    """Staff pages: a user without ``perm`` anywhere (a member, a merchant's counter
    account) finds no such page."""
    if not access.can(request.user, perm):
        raise NotFound()


def _page(request, filters, rows, **more):
    """The requested page of ``rows(**filters, **more)``; none while a filter is invalid
    (the form says which, next to the field): a bad filter must not widen the list."""
    data = filters.filters()
    found = [] if data is None else rows(**data, **more)
    return page_of(found, request.GET.get("page"))


# --- Cards (staff) ---------------------------------------------------------------------------


@login_required
@domain_errors
def card_list(request):
    _need(request, "perks.view")
    filters = forms.CardFilterForm(request.GET)
    sort = request.GET.get("sort", "")
    page = _page(request, filters, network.card_list, actor=request.user, sort=sort)
    return render(
        request,
        "perks/network/cards.html",
        {
            "filters": filters,
            "page": page,
            "may_issue": access.can(request.user, "perks.cards"),
        },
    )


@login_required
@domain_errors
def card_detail(request, pk):
    _need(request, "perks.view")
    card = network.card_get(actor=request.user, pk=pk)
    may_act = access.can_at(request.user, "perks.cards", card.org_unit)
    return render(
        request,
        "perks/network/card.html",
        {
            "card": card,
            "history": network.card_history(actor=request.user, card=card),
            "uses": network.card_uses(actor=request.user, card=card)[:20],
            "may_act": may_act and card.status in network.LIVE,
            "reason_form": forms.ReasonForm(),
        },
    )


CARD_ACTIONS = {
    "suspend": (network.card_suspend, "已暂停服务卡 {}"),
    "resume": (network.card_resume, "已恢复服务卡 {}"),
    "cancel": (network.card_cancel, "已注销服务卡 {}"),
    "reissue": (network.card_reissue, "已挂失并补发新卡 {}"),
}


@login_required
@domain_errors
@require_POST
def card_action(request, pk, action):
    _need(request, "perks.view")
    card = network.card_get(actor=request.user, pk=pk)
    service, done = CARD_ACTIONS[action]
    return post_action(
        request,
        forms.ReasonForm(request.POST),
        lambda data: service(actor=request.user, card=card, reason=data["reason"]),
        lambda result: done.format(result.number),
        reverse("perks:card_detail", args=[card.pk]),
        after=lambda result: reverse("perks:card_detail", args=[result.pk]),  # a reissued card
    )


@login_required
@domain_errors
def card_issue(request):
    """Issue one card: find the member by resident ID (then confirm), or pick them from the
    members in scope who have no card yet."""
    _need(request, "perks.cards")
    lookup = forms.IdNumberForm(request.POST if "id_number" in request.POST else None)
    found = None
    if request.method == "POST" and "person" in request.POST:
        try:
            person = network.card_person(actor=request.user, pk=request.POST["person"])
            card = network.card_issue(actor=request.user, person=person)
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, f"已为 {person.name} 办理服务卡 {card.number}")
            return redirect("perks:card_detail", pk=card.pk)
    elif lookup.is_bound and lookup.is_valid():
        try:
            found = network.card_person(
                actor=request.user, id_number=lookup.cleaned_data["id_number"]
            )
        except ValidationFailed as exc:
            apply_errors(lookup, exc)
        except DomainError as exc:  # not found, not allowed (people.view_pii), too often
            lookup.add_error("id_number", exc.message)
        else:
            found.live_card = network.member_card(found)
    q = request.GET.get("q", "").strip()[:60]
    candidates = network.card_candidates(actor=request.user, q=q)
    return render(
        request,
        "perks/network/card_issue.html",
        {
            "lookup": lookup,
            "can_lookup": access.can(request.user, "people.view_pii"),
            "found": found,
            "q": q,
            "page": page_of(candidates, request.GET.get("page")),
        },
        status=422 if lookup.is_bound and lookup.errors else 200,
    )


@login_required
@domain_errors
def cards_import(request):
    """Upload a list (姓名, 身份证号); all rows are checked, then all cards issued, or none
    and every bad row listed, with a report to download."""
    _need(request, "perks.cards")
    form = forms.CardImportForm(request.POST or None, request.FILES or None)
    result, errors = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = network.cards_import(
                actor=request.user, data=upload_read(upload), filename=upload.name
            )
        except ImportRejected as exc:
            errors = exc.errors
            # Kept in the session for the report: resident ID numbers masked there.
            request.session[IMPORT_ERRORS] = [
                asdict(e) | {"value": pii.mask("id_number", e.value)}
                if e.column == "身份证号"
                else asdict(e)
                for e in errors[:REPORT_MAX]
            ]
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            request.session.pop(IMPORT_ERRORS, None)
    return render(
        request,
        "perks/network/cards_import.html",
        {"form": form, "result": result, "errors": errors},
        status=422 if errors else 200,
    )


@login_required
@domain_errors
def cards_template(request):
    _need(request, "perks.cards")
    return download(network.cards_template(), "服务卡批量发卡模板.xlsx")


@login_required
@domain_errors
def cards_errors(request):
    _need(request, "perks.cards")
    rows = request.session.get(IMPORT_ERRORS)
    if not rows:
        raise NotFound()
    return download(error_report([RowError(**r) for r in rows]), "发卡导入错误报告.xlsx")


# --- Merchants (staff) -----------------------------------------------------------------------


@login_required
@domain_errors
def merchant_list(request):
    _need(request, "perks.view")
    filters = forms.MerchantFilterForm(request.GET)
    sort = request.GET.get("sort", "")
    page = _page(request, filters, network.merchant_list, actor=request.user, sort=sort)
    return render(
        request,
        "perks/network/merchants.html",
        {
            "filters": filters,
            "page": page,
            "may_create": access.can(request.user, "perks.manage"),
        },
    )


@login_required
@domain_errors
def merchant_create(request):
    _need(request, "perks.manage")
    form = forms.MerchantForm(request.POST or None, actor=request.user, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            merchant = network.merchant_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已签约商户“{merchant.name}”，请添加门店、优惠和核验账号")
            return redirect("perks:merchant_detail", pk=merchant.pk)
    return render(request, "perks/network/merchant_form.html", {"form": form, "merchant": None})


def _managed(request, pk):
    return network.merchant_get(actor=request.user, pk=pk, perm="perks.manage")


@login_required
@domain_errors
def merchant_edit(request, pk):
    merchant = _managed(request, pk)
    initial = {f: getattr(merchant, f) for f in network.MERCHANT_FIELDS}
    form = forms.MerchantForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            network.merchant_change(actor=request.user, merchant=merchant, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("perks:merchant_detail", pk=merchant.pk)
    return render(request, "perks/network/merchant_form.html", {"form": form, "merchant": merchant})


def _merchant_page(request, merchant, status: int = 200, **bound):
    may_manage = access.can_at(request.user, "perks.manage", merchant.org_unit)
    context = {
        "merchant": merchant,
        "locations": merchant.locations.select_related("district").order_by("pk"),
        "offers": merchant.offers.order_by("-valid_from", "pk"),
        "staff": MerchantStaff.objects.filter(merchant=merchant)
        .select_related("user", "location")
        .order_by("pk"),
        "may_manage": may_manage,
        "today": network.today(),
    }
    if may_manage:
        context |= {
            "location_form": forms.LocationForm(),
            "offer_form": forms.OfferForm(),
            "staff_form": forms.StaffForm(merchant=merchant),
            **bound,
        }
    return render(request, "perks/network/merchant.html", context, status=status)


@login_required
@domain_errors
def merchant_detail(request, pk):
    _need(request, "perks.view")
    return _merchant_page(request, network.merchant_get(actor=request.user, pk=pk))


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
        lambda data: network.location_add(actor=request.user, merchant=merchant, **data),
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
        lambda data: network.offer_save(actor=request.user, merchant=merchant, **data),
        lambda offer: f"已添加优惠“{offer.title}”",
    )


@login_required
@domain_errors
def offer_edit(request, pk, offer_pk):
    merchant = _managed(request, pk)
    offer = merchant.offers.filter(pk=offer_pk).first()
    if offer is None:
        raise NotFound()
    initial = {f: getattr(offer, f) for f in network.OFFER_FIELDS}
    form = forms.OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            network.offer_save(
                actor=request.user, merchant=merchant, offer=offer, **form.cleaned_data
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存优惠“{offer.title}”")
            return redirect("perks:merchant_detail", pk=merchant.pk)
    return render(
        request,
        "perks/network/offer_form.html",
        {"form": form, "merchant": merchant, "offer": offer},
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
        lambda data: network.merchant_staff_add(actor=request.user, merchant=merchant, **data),
        lambda staff: f"已创建核验账号 {staff.user.username}（登录后进入“商户核验”页面）",
    )


# --- The member's own card and the offers (phone) --------------------------------------------


def _person_of(user):
    return getattr(user, "person", None)


def _qr_context(card: Card | None) -> dict:
    if card is None or card.status != Card.Status.ACTIVE:
        return {"token": None}
    token = passes.card_token(card.pk)
    return {"token": token, "svg": qr_svg(token), "issued_at": timezone.now()}


@never_cache
@login_required
def member_card(request):
    """The member's card with its QR code: shown at a merchant's counter, refreshed in place
    every 30 seconds (each code lives a minute and is accepted once)."""
    person = _person_of(request.user)
    card = network.member_card(person)
    return render(
        request,
        "perks/network/member_card.html",
        {
            "person": person,
            "card": card,
            # Grouped as printed on a card: **** **** **** 1234.
            "masked_number": f"**** **** **** {card.number[-4:]}" if card else "",
            **_qr_context(card),
        },
    )


@never_cache
@login_required
def member_card_qr(request):
    """The QR fragment (htmx swaps it in place)."""
    card = network.member_card(_person_of(request.user))
    return render(request, "perks/network/_qr.html", {"card": card, **_qr_context(card)})


@login_required
def member_offers(request):
    filters = forms.OfferFilterForm(request.GET)
    page = _page(request, filters, network.offers_for_members)
    return render(request, "perks/network/member_offers.html", {"filters": filters, "page": page})


# --- The merchant's counter ------------------------------------------------------------------


def _counter_staff(request) -> MerchantStaff:
    staff = network.counter_account(request.user)
    if staff is None:
        raise NotFound()
    return staff


@never_cache
@login_required
@domain_errors
def counter(request):
    """Check a member's card: the scanner types the QR code's content into the box and
    presses Enter; the answer shows at once, and the box is empty and focused again."""
    staff = _counter_staff(request)
    answer, error = None, None
    form = forms.VerifyForm(request.POST if "token" in request.POST else None)
    if form.is_bound and form.is_valid():
        try:
            answer = network.card_verify(actor=request.user, token=form.cleaned_data["token"])
        except DomainError as exc:
            error = error_message(exc)
        form = forms.VerifyForm()
    return render(
        request,
        "perks/network/counter.html",
        {
            "staff": staff,
            "form": form,
            "answer": answer,
            "error": error,
            "pickup_form": forms.PickupForm(),
        },
    )


@never_cache
@login_required
@domain_errors
@require_POST
def counter_pickup(request):
    """Accept a giveaway's pickup code (领取码核销) at this counter."""
    staff = _counter_staff(request)
    form = forms.PickupForm(request.POST)
    claim, pickup_error = None, None
    if form.is_valid():
        try:
            claim = pickup_accept(actor=request.user, code=form.cleaned_data["code"])
        except DomainError as exc:
            pickup_error = error_message(exc)
        else:
            form = forms.PickupForm()
    verify = forms.VerifyForm()
    verify.fields["token"].widget.attrs.pop("autofocus", None)
    form.fields["code"].widget.attrs["autofocus"] = True  # the next code goes here
    return render(
        request,
        "perks/network/counter.html",
        {
            "staff": staff,
            "form": verify,
            "pickup_form": form,
            "claim": claim,
            "claim_name": pii.mask_name(claim.person.name) if claim else "",
            "pickup_error": pickup_error,
        },
    )
