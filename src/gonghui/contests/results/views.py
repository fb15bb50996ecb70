"""Results pages: a stage's true results for its staff (lock, advancing preview and
confirmation), the titles of a competition (award), the talent database. Thin: parse, call
one service or selector, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common.pagination import request_page
from gonghui.common.views import domain_errors, post_action
from gonghui.contests.results import forms, selectors, services
from gonghui.orgs import access


def _stage_url(pk) -> str:
    return reverse("contests:stage_results", args=[pk])


def _titles_url(pk) -> str:
    return reverse("contests:titles", args=[pk])


@login_required
@domain_errors
def stage_results(request, pk):
    page = selectors.stage_page(actor=request.user, pk=pk)
    return render(request, "contests/results/stage.html", {"p": page})


def _locked_message(results) -> str:
    if results and results[0].revealed_at is None:
        return f"成绩已锁定（{len(results)} 人）；封榜中，揭榜后成绩公布，申诉时限自公布时起算"
    return f"成绩已锁定（{len(results)} 人），申诉时限自现在起计算"


@login_required
@domain_errors
@require_POST
def results_lock(request, pk):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.results_lock(actor=request.user, stage=stage),
        _locked_message,
        _stage_url(stage.pk),
    )


@login_required
@domain_errors
@require_POST
def advance_confirm(request, pk):
    stage = selectors.stage_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.AdvanceForm(request.POST),
        lambda data: services.advance_confirm(
            actor=request.user, stage=stage, advancing=data["advancing"]
        ),
        lambda _: "晋级名单已确认",
        _stage_url(stage.pk),
    )


@login_required
@domain_errors
def titles(request, pk):
    page = selectors.titles_page(actor=request.user, pk=pk)
    return render(request, "contests/results/titles.html", {"p": page})


@login_required
@domain_errors
@require_POST
def titles_award(request, pk):
    competition = selectors.competition_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.titles_award(actor=request.user, competition=competition),
        lambda done: "称号与提名奖已评定，已写入劳模工匠档案" if done else "称号此前已评定",
        _titles_url(competition.pk),
    )


@login_required
@domain_errors
@require_POST
def programme_titles_award(request, pk):
    programme = selectors.programme_get(actor=request.user, pk=pk)
    back = request.POST.get("back", "")
    competition = selectors.competition_get(actor=request.user, pk=back) if back else None
    return post_action(
        request,
        None,
        lambda _: services.programme_titles_award(actor=request.user, programme=programme),
        lambda done: (
            "各工种成绩标准化后统一评定称号，已写入劳模工匠档案" if done else "称号此前已评定"
        ),
        _titles_url(competition.pk) if competition else reverse("contests:talent"),
    )


@login_required
@domain_errors
def talent(request):
    access.require(request.user, "registry.view")
    form = forms.TalentForm(request.GET)
    filters = form.talent_filters()
    people = [] if filters is None else selectors.talent_list(actor=request.user, **filters)
    page = request_page(request, people)
    return render(
        request,
        "contests/results/talent.html",
        {"form": form, "page": page, "rows": selectors.talent_rows(page)},
    )
