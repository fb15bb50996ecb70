"""Pages of the service cards: cards for union staff (list, one card, issue, bulk import),
and the member's own card with its QR code on a phone. Thin: parse, call a service or a
selector, render."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.imports import ImportRejected, RowError, error_report
from gonghui.common.pagination import filtered_page, request_page
from gonghui.common.views import (
    apply_errors,
    domain_errors,
    download,
    error_message,
    post_action,
)
from gonghui.jobs.services import upload_read
from gonghui.orgs import access
from gonghui.perks.cards import forms, imports, selectors, services

IMPORT_ERRORS = "perks.cards_import_errors"  # the last refused import's rows, for the report
REPORT_MAX = 5000  # rows of a refused import kept for its report (ID numbers come masked)


@login_required
@domain_errors
def card_list(request):
    access.require(request.user, "perks.view")
    filters = forms.CardFilterForm(request.GET)
    sort = request.GET.get("sort", "")
    page = filtered_page(request, filters, selectors.card_list, actor=request.user, sort=sort)
    return render(
        request,
        "perks/cards/cards.html",
        {
            "filters": filters,
            "page": page,
            "may_issue": access.can(request.user, "perks.cards"),
        },
    )


@login_required
@domain_errors
def card_detail(request, pk):
    access.require(request.user, "perks.view")
    page = selectors.card_page(actor=request.user, pk=pk)
    return render(
        request,
        "perks/cards/card.html",
        {**vars(page), "reason_form": forms.ReasonForm()},
    )


CARD_ACTIONS = {
    "suspend": (services.card_suspend, "已暂停服务卡 {}"),
    "resume": (services.card_resume, "已恢复服务卡 {}"),
    "cancel": (services.card_cancel, "已注销服务卡 {}"),
    "reissue": (services.card_reissue, "已挂失并补发新卡 {}"),
}


@login_required
@domain_errors
@require_POST
def card_action(request, pk, action):
    access.require(request.user, "perks.view")
    card = selectors.card_get(actor=request.user, pk=pk)
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
    access.require(request.user, "perks.cards")
    lookup = forms.IdNumberForm(request.POST if "id_number" in request.POST else None)
    found = found_card = None
    if request.method == "POST" and "person" in request.POST:
        try:
            card = services.card_issue_for(actor=request.user, person_id=request.POST["person"])
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, f"已为 {card.person.name} 办理服务卡 {card.number}")
            return redirect("perks:card_detail", pk=card.pk)
    elif lookup.is_bound and lookup.is_valid():
        try:
            found = services.card_person(
                actor=request.user, id_number=lookup.cleaned_data["id_number"]
            )
        except ValidationFailed as exc:
            apply_errors(lookup, exc)
        except DomainError as exc:  # not found, not allowed (people.view_pii), too often
            lookup.add_error("id_number", exc.message)
        else:
            found_card = selectors.member_card(found)
    q = request.GET.get("q", "").strip()[:60]
    candidates = selectors.card_candidates(actor=request.user, q=q)
    return render(
        request,
        "perks/cards/card_issue.html",
        {
            "lookup": lookup,
            "can_lookup": access.can(request.user, "people.view_pii"),
            "found": found,
            "found_card": found_card,
            "q": q,
            "page": request_page(request, candidates),
        },
        status=422 if lookup.is_bound and lookup.errors else 200,
    )


@login_required
@domain_errors
def cards_import(request):
    """Upload a list (姓名, 身份证号); all rows are checked, then all cards issued, or none
    and every bad row listed, with a report to download."""
    access.require(request.user, "perks.cards")
    form = forms.CardImportForm(request.POST or None, request.FILES or None)
    result, errors = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = imports.cards_import(
                actor=request.user, data=upload_read(upload), filename=upload.name
            )
        except ImportRejected as exc:
            errors = exc.errors
            request.session[IMPORT_ERRORS] = [asdict(e) for e in errors[:REPORT_MAX]]
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            request.session.pop(IMPORT_ERRORS, None)
    return render(
        request,
        "perks/cards/cards_import.html",
        {"form": form, "result": result, "errors": errors},
        status=422 if errors else 200,
    )


@login_required
@domain_errors
def cards_template(request):
    access.require(request.user, "perks.cards")
    return download(imports.cards_template(), "服务卡批量发卡模板.xlsx")


@login_required
@domain_errors
def cards_errors(request):
    access.require(request.user, "perks.cards")
    rows = request.session.get(IMPORT_ERRORS)
    if not rows:
        raise NotFound()
    return download(error_report([RowError(**r) for r in rows]), "发卡导入错误报告.xlsx")


# --- The member's own card (phone) ---------------------------------------------------------


@never_cache
@login_required
def member_card(request):
    """The member's card with its QR code: shown at a merchant's counter, refreshed in place
    every 30 seconds (each code lives a minute and is accepted once)."""
    return render(request, "perks/cards/member_card.html", selectors.member_card_page(request.user))


@never_cache
@login_required
def member_card_qr(request):
    """The QR fragment (htmx swaps it in place)."""
    return render(request, "perks/cards/_qr.html", selectors.member_card_qr(request.user))
