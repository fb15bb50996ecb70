"""Registration pages: the public join page on a phone (a logged-in member's one tap) and
its done page; the organiser's table of entrants, union nominations and the close button;
the entrant's own entries. Thin: parse, call one service or selector, render."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from gonghui.common.errors import NotFound
from gonghui.common.formats import cn_datetime
from gonghui.common.net import client_key
from gonghui.common.pagination import request_page
from gonghui.common.views import domain_errors, form_page, post_action
from gonghui.contests.entry import forms, selectors, services
from gonghui.contests.models import Entrant
from gonghui.contests.records import entrant_key
from gonghui.orgs import access

DONE_SALT = "contests.entry.done"


def _done_url(entrant: Entrant) -> str:
    token = signing.dumps([entrant.competition_id, entrant.number], salt=DONE_SALT)
    return reverse("contests:join_done", args=[entrant.competition_id]) + f"?t={token}"


# --- The public join page -------------------------------------------------------------------


def _joined(entrant) -> str:
    return "报名已提交"


@domain_errors
def join(request, pk):
    """报名: anyone, no login. The answer is the entrant number and nothing else, whether
    the registry knew the person or not."""
    competition = selectors.public_competition(pk)
    member = selectors.member_person(request.user)
    posted = request.POST if request.method == "POST" else None  # a one-tap form posts nothing
    context = {
        "c": competition,
        "open": selectors.registration_open(competition, timezone.now()),
        "member": member,
    }
    if member is not None:
        form = forms.MemberJoinForm(posted, person=member)
        return form_page(
            request,
            form,
            lambda data: services.entrant_register(
                competition=competition,
                user=request.user,
                employer_name=data.get("employer_name") or "",
                age=data.get("age"),
            ),
            "contests/entry/join.html",
            context,
            done=_joined,
            after=_done_url,
        )
    return form_page(
        request,
        forms.JoinForm(posted),
        lambda data: services.entrant_register(
            competition=competition, ip=client_key(request), **data
        ),
        "contests/entry/join.html",
        context,
        done=_joined,
        after=_done_url,
    )


@domain_errors
def join_done(request, pk):
    competition = selectors.public_competition(pk)
    try:
        competition_id, number = signing.loads(
            request.GET.get("t", ""), salt=DONE_SALT, max_age=86_400
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound() from None
    if competition_id != competition.pk:
        raise NotFound()
    return render(
        request, "contests/entry/join_done.html", {"c": competition, "number": entrant_key(number)}
    )


# --- Staff ----------------------------------------------------------------------------------


@login_required
@domain_errors
def entrants(request, pk):
    access.require(request.user, "contests.view")
    competition = selectors.competition_get(actor=request.user, pk=pk)
    status = request.GET.get("status", "")
    route = request.GET.get("route", "")
    q = request.GET.get("q", "").strip()
    qs = selectors.entrant_list(
        actor=request.user,
        competition_pk=competition.pk,
        status=status if status in Entrant.Status.values else "",
        route=route if route in Entrant.Route.values else "",
        q=q,
        sort=request.GET.get("sort", ""),
    )
    return render(
        request,
        "contests/entry/entrants.html",
        {
            "c": competition,
            "page": request_page(request, qs),
            "status": status,
            "route": route,
            "q": q,
            "statuses": forms.STATUS_CHOICES,
            "routes": forms.ROUTE_CHOICES,
            "may_manage": selectors.may_at(request.user, competition, "contests.manage"),
            "may_nominate": selectors.may_at(request.user, competition, "contests.nominate"),
        },
    )


@login_required
@domain_errors
@require_POST
def registration_close(request, pk):
    competition = selectors.competition_get(actor=request.user, pk=pk)
    closed_before = competition.registration_closed_at  # the service is idempotent

    def said(c):
        if closed_before is not None:
            return f"报名已于 {cn_datetime(closed_before)} 截止，本次未作改动"
        return "报名已截止，竞赛规程已锁定，已生成公证节点“报名截止”"

    return post_action(
        request,
        None,
        lambda _: services.registration_close(actor=request.user, competition=competition),
        said,
        reverse("contests:entrants", args=[competition.pk]),
    )


@login_required
@domain_errors
def nominate(request, pk):
    """组织推荐: find one of the union's people by name, nominate with one tap."""
    access.require(request.user, "contests.nominate")
    competition = selectors.public_competition(pk)
    q = request.GET.get("q", "").strip()
    if request.method == "POST":
        form = forms.NominateForm(request.POST)
        person = None
        if form.is_valid():
            person = selectors.nominable_person(actor=request.user, pk=form.cleaned_data["person"])
        return post_action(
            request,
            form,
            lambda _: services.entrant_nominate(
                actor=request.user, competition=competition, person=person
            ),
            lambda e: f"已推荐 {e.person.name} 参赛，参赛号 {entrant_key(e.number)}",
            reverse("contests:nominate", args=[competition.pk])
            + (f"?{urlencode({'q': q})}" if q else ""),
        )
    return render(
        request,
        "contests/entry/nominate.html",
        {
            "c": competition,
            "q": q,
            "people": selectors.nominable_people(actor=request.user, q=q),
            "open": selectors.registration_open(competition, timezone.now()),
        },
    )


# --- The entrant's own ----------------------------------------------------------------------


@login_required
@domain_errors
def my_entries(request):
    return render(
        request, "contests/entry/my_entries.html", {"entries": selectors.my_entries(request.user)}
    )


@login_required
@domain_errors
def my_entry(request, pk):
    page = selectors.my_entry(request.user, pk)
    return render(
        request,
        "contests/entry/my_entry.html",
        {
            "e": page.entrant,
            "results": page.results,
            "stages": page.stages,
            "withdraw_form": forms.WithdrawForm(),
        },
    )


@login_required
@domain_errors
@require_POST
def my_entry_withdraw(request, pk):
    page = selectors.my_entry(request.user, pk)
    return post_action(
        request,
        forms.WithdrawForm(request.POST),
        lambda data: services.entrant_withdraw(
            actor=request.user, entrant=page.entrant, reason=data["reason"]
        ),
        lambda e: "已退赛",
        reverse("contests:my_entry", args=[pk]),
    )
