"""Enrolment pages for staff: a programme's runs and the form for a new one (with the
deadline it would get), a run's page (who, amounts, grade, district; totals; the deadline
and the working days left; enrol; cancel one entitlement). Thin: parse, call, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import workdays
from gonghui.common.pagination import request_page
from gonghui.common.views import domain_errors, form_page, post_action
from gonghui.funds.enrolment import forms, selectors, services
from gonghui.orgs import access


def _run_url(run) -> str:
    return reverse("funds:run", args=[run.pk])


@login_required
@domain_errors
def runs(request, pk):
    programme = selectors.programme_get(request.user, pk)
    return render(
        request,
        "funds/enrolment/runs.html",
        {
            "p": programme,
            "page": request_page(
                request,
                selectors.run_list(request.user, programme, sort=request.GET.get("sort", "")),
            ),
            "may_manage": programme.entry == "enrol"
            and selectors.managing_units(request.user, programme).exists(),
        },
    )


@login_required
@domain_errors
def run_create(request, pk):
    programme = selectors.programme_get(request.user, pk)
    access.require(request.user, "funds.manage")
    suggestions = selectors.deadline_suggestions()
    today = workdays.today()
    year = next((y for y, day, _ in suggestions if day and day >= today), today.year + 1)
    form = forms.RunForm(
        request.POST or None,
        actor=request.user,
        programme=programme,
        initial={"year": year, "name": f"{year}年春节慰问"},
    )
    return form_page(
        request,
        form,
        lambda data: services.run_create(actor=request.user, programme=programme, **data),
        "funds/enrolment/run_form.html",
        {"p": programme, "suggestions": suggestions},
        after=_run_url,
        done=lambda run: f"已设立“{run.name}”，发放截止 {run.deadline:%Y-%m-%d}",
    )


@login_required
@domain_errors
def run(request, pk):
    found = selectors.run_get(request.user, pk)
    filters = forms.LineFilters(request.GET or None, subdivisions=selectors.subdivisions(found))
    asked = filters.filters() if request.GET else {}
    page = selectors.run_page(
        request.user,
        found,
        q=(asked or {}).get("q", ""),
        grade=(asked or {}).get("grade", ""),
        unit=(asked or {}).get("unit"),
        status=(asked or {}).get("status", ""),
        sort=request.GET.get("sort", ""),
    )
    lines = page.lines if asked is not None else page.lines.none()
    return render(
        request,
        "funds/enrolment/run.html",
        {
            "run": found,
            "p": found.programme,
            "info": page,
            "filters": filters,
            "page": request_page(request, lines),
            "cancel_form": forms.CancelForm(),
        },
    )


@login_required
@require_POST
@domain_errors
def run_enrol(request, pk):
    found = selectors.run_get(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: services.run_enrol(actor=request.user, run=found),
        lambda done: f"已按规则纳入，共 {done.enrolled} 人",
        _run_url(found),
    )


@login_required
@require_POST
@domain_errors
def entitlement_cancel(request, pk):
    entitlement = selectors.entitlement_get(request.user, pk)
    return post_action(
        request,
        forms.CancelForm(request.POST),
        lambda data: services.entitlement_cancel(
            actor=request.user, entitlement=entitlement, reason=data["reason"]
        ),
        lambda e: f"已取消 {e.payment_id}，预算已释放",
        _run_url(entitlement.run) + "#lines",
    )
