"""Judging pages: the judge's phone pages (marks go to the JSON API from
``static/contests/judge.js``, which keeps them on the device while the network is down),
and the chief referee's marking grid, match page and actions. Thin: parse, call one
service or selector, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common.views import domain_errors, form_page, post_action
from gonghui.contests.judging import forms, selectors, services
from gonghui.contests.judging.selectors import GRID_SORTS


def _match_url(match) -> str:
    return reverse("contests:match", args=[match.pk])


def _marking_url(stage) -> str:
    return reverse("contests:marking", args=[stage.pk])


# --- The judge's phone ------------------------------------------------------------------------


@login_required
@domain_errors
def judge_home(request):
    return render(
        request, "contests/judging/judge_home.html", {"links": selectors.judge_home(request.user)}
    )


@login_required
@domain_errors
def judge_stage(request, pk):
    page = selectors.judge_stage(request.user, pk)
    return render(
        request,
        "contests/judging/judge_stage.html",
        {
            "page": page,
            "stage": page.stage,
            "marks_api": "/api/v1/contests/marks",
            "correct_api": "/api/v1/contests/marks/0/correct",
        },
    )


# --- The chief referee --------------------------------------------------------------------------


@login_required
@domain_errors
def marking(request, pk):
    sort = request.GET.get("sort", "")
    match = request.GET.get("match", "").strip()
    grid = selectors.marking_grid(
        actor=request.user, pk=pk, sort=sort if sort in GRID_SORTS else "", match=match
    )
    return render(
        request,
        "contests/judging/marking.html",
        {"grid": grid, "stage": grid.stage, "sort": sort, "match_filter": match},
    )


@login_required
@domain_errors
def match(request, pk):
    page = selectors.match_page(actor=request.user, pk=pk)
    return render(
        request,
        "contests/judging/match.html",
        {
            "page": page,
            "m": page.match,
            "absent_form": forms.ReasonForm(),
            "seat_form": forms.SeatAddForm(judges=page.addable),
        },
    )


@login_required
@domain_errors
def match_create(request, pk):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    return form_page(
        request,
        forms.MatchForm(request.POST or None),
        lambda data: services.match_create(actor=request.user, stage=stage, **data),
        "contests/judging/match_form.html",
        {"stage": stage},
        after=_match_url,
        done=lambda m: f"场次 {m.code} 已设立",
    )


@login_required
@domain_errors
@require_POST
def match_commit(request, pk):
    m = selectors.match_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.draw_commit(actor=request.user, match=m),
        lambda done: f"抽签承诺值已公布：{done.draw_commitment}",
        _match_url(m),
    )


@login_required
@domain_errors
@require_POST
def match_draw(request, pk):
    m = selectors.match_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.panel_draw(actor=request.user, match=m),
        lambda seats: f"抽签完成，{len(seats)} 名裁判入座",
        _match_url(m),
    )


@login_required
@domain_errors
@require_POST
def match_seat_add(request, pk):
    page = selectors.match_page(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.SeatAddForm(request.POST, judges=page.addable),
        lambda data: services.seat_add(actor=request.user, match=page.match, judge=data["judge"]),
        lambda seat: f"{seat.judge.name} 已入座（第 {seat.position} 席）",
        _match_url(page.match),
    )


@login_required
@domain_errors
@require_POST
def seat_absent(request, pk):
    seat = selectors.seat_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.ReasonForm(request.POST),
        lambda data: services.seat_absent(actor=request.user, seat=seat, reason=data["reason"]),
        lambda s: f"已记录 {seat.judge.name} 缺席",
        _match_url(seat.match),
    )


@login_required
@domain_errors
@require_POST
def marking_start(request, pk):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.stage_start(actor=request.user, stage=stage),
        lambda s: f"“{s.name}”开始评分",
        _marking_url(stage),
    )


@login_required
@domain_errors
@require_POST
def marking_recusals(request, pk):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.recusals_by_employer(actor=request.user, competition=stage.competition),
        lambda made: f"按工作单位新增回避 {len(made)} 条" if made else "没有需要新增的回避",
        _marking_url(stage),
    )


@login_required
@domain_errors
@require_POST
def sheet_lock(request, pk, number):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.sheet_lock(actor=request.user, stage=stage, entrant=number),
        lambda sheet: f"参赛号 {number:03d} 的评分表已锁定",
        _marking_url(stage),
    )
