"""Programmes pages for staff: the funds home (programmes), a programme, its settings, its
rule (readable, as JSON, with its version history), its budgets, its ledger and a
correction, and hardship recognitions. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from gonghui.common import workdays
from gonghui.common.errors import NotFound
from gonghui.common.forms import year_param
from gonghui.common.pagination import filtered_page, request_page
from gonghui.common.views import domain_errors, form_page
from gonghui.funds.models import LedgerEntry, Programme
from gonghui.funds.programmes import forms, selectors, services
from gonghui.orgs import access


def _programme_url(programme) -> str:
    return reverse("funds:programme", args=[programme.pk])


@login_required
@domain_errors
def home(request):
    access.require(request.user, "funds.view")
    q = request.GET.get("q", "").strip()[:60]
    kind = request.GET.get("kind", "")
    kind = kind if kind in Programme.Kind.values else ""
    active = request.GET.get("active", "")
    qs = selectors.programme_list(
        request.user, q=q, kind=kind, active=active, sort=request.GET.get("sort", "")
    )
    return render(
        request,
        "funds/programmes/home.html",
        {
            "page": request_page(request, qs),
            "q": q,
            "kind": kind,
            "active": active,
            "kinds": Programme.Kind.choices,
            "may_create": selectors.organising_units(request.user).exists(),
        },
    )


@login_required
@domain_errors
def programme_create(request):
    access.require(request.user, "funds.manage")
    return form_page(
        request,
        forms.ProgrammeForm(
            request.POST or None,
            actor=request.user,
            initial={"levels": 2, "entry": "apply", "is_active": True},
        ),
        lambda data: services.programme_create(actor=request.user, **data),
        "funds/programmes/programme_form.html",
        {"creating": True},
        after=_programme_url,
        done=lambda p: f"已设立“{p.name}”（规则第 1 版），请为各单位设定预算",
    )


@login_required
@domain_errors
def programme(request, pk):
    access.require(request.user, "funds.view")
    p = selectors.programme_get(request.user, pk)
    year = workdays.today().year
    rule = selectors.current_rule(p)
    return render(
        request,
        "funds/programmes/programme.html",
        {
            "p": p,
            "rule": rule,
            "table": selectors.rule_table(rule.rule) if rule else None,
            "year": year,
            "nodes": selectors.budget_figures(p, year, by=("org_unit",), actor=request.user),
            "may_manage": selectors.may_manage(request.user, p),
        },
    )


@login_required
@domain_errors
def programme_edit(request, pk):
    access.require(request.user, "funds.manage")
    p = selectors.programme_to_manage(request.user, pk)
    initial = {f: getattr(p, f) for f in services.SETTINGS}
    return form_page(
        request,
        forms.SettingsForm(request.POST or None, initial=initial),
        lambda data: services.programme_update(actor=request.user, programme=p, **data),
        "funds/programmes/programme_form.html",
        {"p": p},
        after=_programme_url,
        done=lambda p: f"已保存“{p.name}”的设置",
    )


@login_required
@domain_errors
def rules(request, pk):
    access.require(request.user, "funds.view")
    p = selectors.programme_get(request.user, pk)
    may_manage = selectors.may_manage(request.user, p)
    if request.method == "POST" and not may_manage:
        raise NotFound()
    current = selectors.current_rule(p)
    versions = selectors.rule_versions(p)
    compare = None
    by_number = {v.version: v for v in versions}
    try:
        left = by_number.get(int(request.GET.get("from", "")))
        right = by_number.get(int(request.GET.get("to", "")))
    except ValueError:
        left = right = None
    if left and right:
        compare = (left, right, selectors.rule_diff(left.rule, right.rule))
    text = json.dumps(current.rule if current else {}, ensure_ascii=False, indent=2)
    return form_page(
        request,
        forms.RuleForm(request.POST or None, initial={"rule": text}) if may_manage else None,
        lambda data: services.rule_change(actor=request.user, programme=p, **data),
        "funds/programmes/rules.html",
        {
            "p": p,
            "current": current,
            "table": selectors.rule_table(current.rule) if current else None,
            "versions": versions,
            "compare": compare,
            "may_manage": may_manage,
        },
        after=lambda v: reverse("funds:rules", args=[p.pk]),
        done=lambda v: f"已保存规则第 {v.version} 版（此后的决定按新版本计算）",
    )


@login_required
@domain_errors
def budgets(request, pk):
    access.require(request.user, "funds.view")
    p = selectors.programme_get(request.user, pk)
    year = year_param(request.GET.get("year") or request.POST.get("year"))
    units = selectors.budget_units(request.user, p)
    may_set = units.exists()
    if request.method == "POST" and not may_set:
        raise NotFound()
    form = (
        forms.BudgetForm(
            request.POST or None, actor=request.user, programme=p, initial={"year": year}
        )
        if may_set
        else None
    )
    return form_page(
        request,
        form,
        lambda data: services.budget_set(actor=request.user, programme=p, **data),
        "funds/programmes/budgets.html",
        {"p": p, "page": selectors.budget_page(request.user, p, year), "may_set": may_set},
        after=lambda b: reverse("funds:budgets", args=[p.pk]) + f"?year={b.year}",
        done=lambda b: f"已设定{b.org_unit.name}{b.year}年预算",
    )


@login_required
@domain_errors
def ledger(request, pk):
    access.require(request.user, "funds.view")
    p = selectors.programme_get(request.user, pk)
    filters = forms.LedgerFilters(request.GET or None, actor=request.user)
    page = filtered_page(
        request,
        filters if request.GET else _NoFilters(),
        lambda **f: selectors.ledger_rows(request.user, p, **f),
    )
    return render(
        request,
        "funds/programmes/ledger.html",
        {
            "p": p,
            "filters": filters,
            "page": page,
            "months": selectors.ledger_months(p),
            "kinds": LedgerEntry.Kind.choices,
            "correctable": selectors.correctable(request.user, page),
        },
    )


class _NoFilters:
    def filters(self) -> dict:
        return {}


@login_required
@domain_errors
def ledger_correct(request, pk):
    access.require(request.user, "funds.manage")
    entry = selectors.entry_for_correction(request.user, pk)
    return form_page(
        request,
        forms.CorrectionForm(request.POST or None),
        lambda data: services.ledger_correct(actor=request.user, entry=entry, **data),
        "funds/programmes/correct.html",
        {"entry": entry, "p": entry.programme},
        after=lambda row: reverse("funds:ledger", args=[entry.programme_id]),
        done=lambda row: f"已冲正第 {entry.pk} 号记录（冲正记录第 {row.pk} 号）",
    )


@login_required
@domain_errors
def hardship_list(request):
    access.require(request.user, "funds.view")
    filters = forms.HardshipFilters(request.GET or None, actor=request.user)
    page = filtered_page(
        request,
        filters if request.GET else _OpenHardship(),
        lambda **f: selectors.hardship_list(request.user, sort=request.GET.get("sort", ""), **f),
    )
    return render(
        request,
        "funds/programmes/hardship_list.html",
        {
            "filters": filters,
            "page": page,
            "may_manage": access.can(request.user, "funds.manage"),
            "today": workdays.today(),
        },
    )


class _OpenHardship:
    def filters(self) -> dict:
        return {"state": "open"}


@login_required
@domain_errors
def hardship_new(request):
    access.require(request.user, "funds.manage")
    q = request.GET.get("q", "").strip()[:30]
    person = None
    if request.GET.get("person"):
        person = selectors.person_for_hardship(request.user, request.GET["person"])
    context = {
        "q": q,
        "person": person,
        "candidates": [] if person else selectors.person_candidates(request.user, q),
        "current": selectors.open_hardship(person) if person else None,
    }
    if person is None:
        return render(request, "funds/programmes/hardship_form.html", {"form": None, **context})
    return form_page(
        request,
        forms.HardshipForm(request.POST or None, initial={"since": workdays.today()}),
        lambda data: services.hardship_set(actor=request.user, person=person, **data),
        "funds/programmes/hardship_form.html",
        context,
        after=lambda h: reverse("funds:hardship_list") + f"?q={person.name}",
        done=lambda h: f"已认定{person.name}为{h.grade}（自 {h.since:%Y-%m-%d}）",
    )


@login_required
@domain_errors
def hardship_end(request, pk):
    access.require(request.user, "funds.manage")
    hardship = selectors.hardship_to_end(request.user, pk)
    return form_page(
        request,
        forms.HardshipEndForm(request.POST or None, initial={"until": workdays.today()}),
        lambda data: services.hardship_end(actor=request.user, hardship=hardship, **data),
        "funds/programmes/hardship_end.html",
        {"h": hardship},
        after=lambda h: reverse("funds:hardship_list"),
        done=lambda h: f"已终止{h.person.name}的困难认定（{h.until:%Y-%m-%d} 起失效）",
    )
