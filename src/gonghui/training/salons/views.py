"""读书沙龙 pages for staff: the list, applying (and correcting a rejected application), one
salon with its decision, members and meetings, reporting a meeting, the yearly counts by
district (and their Excel), the search box that finds a mentor; and the lecturers' page.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import money, workdays
from gonghui.common.errors import NotFound
from gonghui.common.forms import year_param
from gonghui.common.pagination import filtered_page, request_page
from gonghui.common.views import domain_errors, download, form_page, post_action
from gonghui.files.services import attachments_of
from gonghui.orgs import access
from gonghui.people.selectors import person_list
from gonghui.training.models import Salon
from gonghui.training.salons import exports, forms, selectors, services


def _salon_url(salon) -> str:
    return reverse("training:salon", args=[salon.pk])


@login_required
@domain_errors
def salons(request):
    access.require(request.user, "training.view")
    filters = forms.ListFilters(request.GET or None, actor=request.user)
    sort = request.GET.get("sort", "")
    page = filtered_page(
        request, filters, lambda **f: selectors.salon_list(actor=request.user, sort=sort, **f)
    )
    return render(
        request,
        "training/salons/salons.html",
        {
            "filters": filters,
            "page": page,
            "may_apply": selectors.apply_units(request.user).exists(),
            "year": workdays.today().year,
        },
    )


def _unit_of(request, actor):
    """The applying union the form is for (?unit= or the POSTed one), if the actor may."""
    pk = request.POST.get("org_unit") or request.GET.get("unit")
    units = selectors.apply_units(actor)
    if pk and str(pk).isdigit():
        return units.filter(pk=pk).first()
    return units.first() if units.count() == 1 else None


def _mentor_of(request, actor, salon=None):
    pk = request.POST.get("mentor")
    if pk and str(pk).isdigit():
        return person_list(actor=actor).filter(pk=pk).first()
    return salon.mentor if salon is not None else None


@login_required
@domain_errors
def salon_apply(request):
    access.require(request.user, "training.apply")
    unit = _unit_of(request, request.user)
    form = forms.SalonForm(
        request.POST or None,
        actor=request.user,
        unit=unit,
        mentor=_mentor_of(request, request.user),
        initial={"org_unit": unit, "year": workdays.today().year},
    )
    return form_page(
        request,
        form,
        lambda data: services.salon_apply(actor=request.user, **data),
        "training/salons/apply.html",
        {"unit": unit},
        after=_salon_url,
        done=lambda s: f"已申报“{s.name}”（成员 {s.members.count()} 人），等待上级工会审批",
    )


@login_required
@domain_errors
def salon_reapply(request, pk):
    access.require(request.user, "training.apply")
    salon = selectors.salon_get(actor=request.user, pk=pk, perm="training.apply")
    if salon.status != Salon.Status.REJECTED:
        raise NotFound()
    members = selectors.members_of(salon)
    form = forms.SalonForm(
        request.POST or None,
        actor=request.user,
        salon=salon,
        mentor=_mentor_of(request, request.user, salon),
        initial={
            "name": salon.name,
            "year": salon.year,
            "theme": salon.theme,
            "mentor": salon.mentor_id,
            "members": list(members),
            "requested": money.yuan(salon.requested_fen),
        },
    )
    return form_page(
        request,
        form,
        lambda data: services.salon_apply(actor=request.user, salon=salon, **data),
        "training/salons/apply.html",
        {"salon": salon, "unit": salon.org_unit},
        after=_salon_url,
        done=lambda s: f"已修改并重新申报“{s.name}”，等待上级工会审批",
    )


@login_required
@domain_errors
def salon(request, pk):
    access.require(request.user, "training.view")
    s = selectors.salon_get(actor=request.user, pk=pk)
    may_apply = selectors.may_apply(request.user, s)
    meetings = attachments_of(actor=request.user, owners=selectors.meetings_of(s))
    return render(
        request,
        "training/salons/salon.html",
        {
            "s": s,
            "members": request_page(request, selectors.members_of(s)),
            "meetings": meetings,
            "may_apply": may_apply,
            "may_decide": selectors.may_decide(request.user, s),
            "decide_form": forms.DecideForm() if selectors.may_decide(request.user, s) else None,
            "add_form": forms.MembersAddForm(salon=s)
            if may_apply and s.status != Salon.Status.CLOSED
            else None,
            "min_members": selectors.MIN_MEMBERS,
        },
    )


@login_required
@require_POST
@domain_errors
def salon_decide(request, pk):
    access.require(request.user, "training.review")
    s = selectors.salon_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.DecideForm(request.POST),
        lambda data: services.salon_decide(actor=request.user, salon=s, **data),
        lambda r: f"已{'批准' if r.status == Salon.Status.APPROVED else '不批准'}“{r.name}”",
        _salon_url(s),
    )


@login_required
@require_POST
@domain_errors
def salon_members_add(request, pk):
    access.require(request.user, "training.apply")
    s = selectors.salon_get(actor=request.user, pk=pk, perm="training.apply")
    return post_action(
        request,
        forms.MembersAddForm(request.POST, salon=s),
        lambda data: services.salon_members_add(actor=request.user, salon=s, **data),
        lambda n: f"已增加 {n} 名成员",
        _salon_url(s),
    )


@login_required
@require_POST
@domain_errors
def salon_member_remove(request, pk, person_pk):
    access.require(request.user, "training.apply")
    s = selectors.salon_get(actor=request.user, pk=pk, perm="training.apply")
    return post_action(
        request,
        None,
        lambda _: services.salon_member_remove(actor=request.user, salon=s, person=person_pk),
        lambda r: "已移除该成员",
        _salon_url(s),
    )


@login_required
@domain_errors
def salon_meeting_new(request, pk):
    access.require(request.user, "training.apply")
    s = selectors.salon_get(actor=request.user, pk=pk, perm="training.apply")
    form = forms.MeetingForm(request.POST or None, request.FILES or None)
    return form_page(
        request,
        form,
        lambda data: services.salon_meeting_report(actor=request.user, salon=s, **data),
        "training/salons/meeting_form.html",
        {"s": s},
        after=lambda m: _salon_url(s),
        done=lambda m: f"已报告 {m.held_on:%Y-%m-%d} 的活动（{m.attendance} 人参加）",
    )


@login_required
@domain_errors
def salon_people(request):
    """The search box's answer (a fragment): people in the viewer's scope by name or
    pinyin, as options of the mentor's drop-down."""
    access.require(request.user, "training.apply")
    q = request.GET.get("q", "").strip()[:30]
    found = person_list(actor=request.user, query=q)[:20] if q else []
    return render(request, "training/salons/_people.html", {"people": found, "q": q})


@login_required
@domain_errors
def salon_stats(request):
    access.require(request.user, "training.view")
    year = year_param(request.GET.get("year"))
    parent = selectors.stats_parent(request.user, request.GET.get("unit"))
    stats = selectors.salon_stats(actor=request.user, year=year, parent=parent)
    if request.GET.get("format") == "xlsx":
        return download(exports.stats_book(stats), f"读书沙龙统计_{parent.name}_{year}.xlsx")
    return render(
        request,
        "training/salons/stats.html",
        {"stats": stats, "years": range(workdays.today().year + 1, 2017, -1)},
    )


@login_required
@domain_errors
def lecturer_list(request):
    access.require(request.user, "training.view")
    q = request.GET.get("q", "").strip()[:30]
    people = selectors.lecturer_list(actor=request.user, q=q, sort=request.GET.get("sort", ""))
    page = request_page(request, people)
    return render(
        request,
        "training/salons/lecturers.html",
        {"page": page, "rows": selectors.lecturer_rows(page, actor=request.user), "q": q},
    )
