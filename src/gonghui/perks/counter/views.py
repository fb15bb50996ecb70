"""The merchant's counter page (商户核验): check a member's card by its QR code, accept a
giveaway's pickup code. Thin: parse, call the service, render what the counter may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gonghui.common.errors import DomainError
from gonghui.common.views import domain_errors, error_message
from gonghui.perks.counter import forms, selectors, services


@never_cache
@login_required
@domain_errors
def counter(request):
    """Check a member's card: the scanner types the QR code's content into the box and
    presses Enter; the answer shows at once, and the box is empty and focused again."""
    staff = selectors.counter_get(request.user)
    answer, error = None, None
    form = forms.VerifyForm(request.POST if "token" in request.POST else None)
    if form.is_bound and form.is_valid():
        try:
            answer = services.card_verify(actor=request.user, token=form.cleaned_data["token"])
        except DomainError as exc:
            error = error_message(exc)
        form = forms.VerifyForm()
    return render(
        request,
        "perks/counter/counter.html",
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
    staff = selectors.counter_get(request.user)
    form = forms.PickupForm(request.POST)
    pickup, pickup_error = None, None
    if form.is_valid():
        try:
            claim = services.pickup_accept(actor=request.user, code=form.cleaned_data["code"])
        except DomainError as exc:
            pickup_error = error_message(exc)
        else:
            pickup = selectors.pickup_shown(claim)
            form = forms.PickupForm()
    verify = forms.VerifyForm()
    verify.fields["token"].widget.attrs.pop("autofocus", None)
    form.fields["code"].widget.attrs["autofocus"] = True  # the next code goes here
    return render(
        request,
        "perks/counter/counter.html",
        {
            "staff": staff,
            "form": verify,
            "pickup_form": form,
            "pickup": pickup,
            "pickup_error": pickup_error,
        },
    )
