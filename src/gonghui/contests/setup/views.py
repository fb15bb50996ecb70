"""Set-up pages for staff: programmes, a programme with its competitions and judge pool, a
competition's dashboard, the rules upload, a stage's scheme and rule, a declared recusal.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common.pagination import request_page
from gonghui.common.views import domain_errors, form_page, post_action
from gonghui.contests.models import Programme
from gonghui.contests.records import entrant_key
from gonghui.contests.setup import forms, selectors, services
from gonghui.orgs import access


def _programme_url(programme) -> str:
    return reverse("contests:programme", args=[programme.pk])


def _competition_url(competition) -> str:
    return reverse("contests:competition", args=[competition.pk])


YEAR = re.compile(r"[0-9]{4}")


def _year(text: str) -> int | None:
    """Four ASCII digits, else no filter (``str.isdigit`` would take "²²²²")."""
    text = (text or "").strip()
    return int(text) if YEAR.fullmatch(text) else None


@login_required
@domain_errors
def programmes(request):
    access.require(request.user, "contests.view")
    q = request.GET.get("q", "").strip()[:60]
    year = _year(request.GET.get("year", ""))
    kind = request.GET.get("kind", "")
    kind = kind if kind in Programme.Kind.values else ""
    qs = selectors.programme_list(
        request.user, q=q, year=year, sort=request.GET.get("sort", ""), kind=kind
    )
    return render(
        request,
        "contests/setup/programmes.html",
        {
            "page": request_page(request, qs),
            "q": q,
            "year": year or "",
            "kind": kind,
            "kinds": Programme.Kind.choices,
            "may_manage": access.can(request.user, "contests.manage"),
        },
    )


@login_required
@domain_errors
def programme_create(request):
    access.require(request.user, "contests.manage")
    return form_page(
        request,
        forms.ProgrammeForm(request.POST or None, actor=request.user),
        lambda data: services.programme_create(actor=request.user, **data),
        "contests/setup/programme_form.html",
        after=_programme_url,
        done=lambda p: f"已设立“{p.name}”，请为各工种设立竞赛",
    )


@login_required
@domain_errors
def programme(request, pk):
    page = selectors.programme_page(request.user, pk)
    return render(
        request,
        "contests/setup/programme.html",
        {
            "p": page.programme,
            "competitions": page.competitions,
            "judges": page.judges,
            "may_manage": page.may_manage,
            "judge_form": forms.JudgeForm(actor=request.user) if page.may_manage else None,
        },
    )


@login_required
@domain_errors
def judge_add(request, pk):
    access.require(request.user, "contests.manage")
    programme = selectors.programme_get(request.user, pk)
    return form_page(
        request,
        forms.JudgeForm(request.POST or None, actor=request.user),
        lambda data: services.judge_add(actor=request.user, programme=programme, **data),
        "contests/setup/judge_form.html",
        {"p": programme},
        after=lambda judge: _programme_url(programme) + "#judges",
        done=lambda judge: f"已将{judge.name}加入评委库（{judge.get_kind_display()}）",
    )


@login_required
@domain_errors
def competition_create(request, pk):
    access.require(request.user, "contests.manage")
    programme = selectors.programme_get(request.user, pk)
    return form_page(
        request,
        forms.CompetitionForm(request.POST or None),
        lambda data: services.competition_create(actor=request.user, programme=programme, **data),
        "contests/setup/competition_form.html",
        {"p": programme},
        after=_competition_url,
        done=lambda c: f"已设立“{c.name}”及其赛段（默认评分规则，可逐个修改）",
    )


@login_required
@domain_errors
def competition(request, pk):
    page = selectors.competition_page(request.user, pk)
    return render(
        request,
        "contests/setup/competition.html",
        {
            "c": page.competition,
            "p": page.competition.programme,
            "stages": page.stages,
            "entrants": page.entrants,
            "entrant_total": page.entrant_total,
            "judges": page.judges,
            "rules_file": page.rules_file,
            "may_manage": page.may_manage,
            "may_nominate": page.may_nominate,
            "may_referee": page.may_referee,
        },
    )


@login_required
@domain_errors
@require_POST
def competition_open(request, pk):
    access.require(request.user, "contests.manage")
    competition = selectors.competition_get(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: services.competition_open(actor=request.user, competition=competition),
        lambda c: "竞赛已开放报名",
        _competition_url(competition),
    )


@login_required
@domain_errors
def rules_upload(request, pk):
    access.require(request.user, "contests.manage")
    competition = selectors.competition_get(request.user, pk)
    return form_page(
        request,
        forms.RulesForm(request.POST or None, request.FILES or None),
        lambda data: services.competition_rules_upload(
            actor=request.user, competition=competition, upload=data["file"]
        ),
        "contests/setup/rules_form.html",
        {"c": competition},
        after=_competition_url,
        done=lambda c: f"竞赛规程已保存，SHA-256：{c.rules_sha256}",
    )


@login_required
@domain_errors
def stage_edit(request, pk):
    access.require(request.user, "contests.manage")
    stage = selectors.stage_get(request.user, pk)
    initial = {
        "name": stage.name,
        "scheme": stage.scheme,
        "rule": stage.rule,
        "starts_at": stage.starts_at,
        "votes_open_at": stage.votes_open_at,
        "votes_close_at": stage.votes_close_at,
        "appeal_minutes": stage.appeal_minutes,
    }
    return form_page(
        request,
        forms.StageForm(request.POST or None, initial=initial),
        lambda data: services.stage_update(actor=request.user, stage=stage, **data),
        "contests/setup/stage_form.html",
        {"s": stage, "c": stage.competition},
        after=lambda s: _competition_url(s.competition) + f"#stage-{s.pk}",
        done=lambda s: f"已保存“{s.name}”（评分规则第 {s.scheme_version} 版）",
    )


@login_required
@domain_errors
def recusal_declare(request, pk):
    access.require(request.user, "contests.manage")
    competition = selectors.competition_get(request.user, pk)
    return form_page(
        request,
        forms.RecusalForm(request.POST or None, competition=competition),
        lambda data: services.recusal_declare(actor=request.user, **data),
        "contests/setup/recusal_form.html",
        {"c": competition},
        after=lambda r: _competition_url(competition),
        done=lambda r: "已登记回避：该评委不能为该参赛人评分",
    )


@login_required
@domain_errors
def judge_recusal_declare(request):
    """A judge's own declaration (回避申报), on a phone."""
    page = selectors.judge_recusals(request.user)
    return form_page(
        request,
        forms.JudgeRecusalForm(request.POST or None, choices=page.choices),
        lambda data: services.recusal_declare(
            actor=request.user,
            judge=page.choices[data["entrant"]][0],
            entrant=page.choices[data["entrant"]][1],
            note=data["note"],
        ),
        "contests/setup/judge_recusal.html",
        {"declared": page.declared},
        after=lambda r: reverse("contests:judge_recusal_declare"),
        done=lambda r: f"已登记回避：您不会为参赛号 {entrant_key(r.entrant.number)} 评分",
    )
