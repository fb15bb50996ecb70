"""The funds reports' pages: a programme's figures by node and month (and their Excel), the
funds dashboard. Thin: parse, call the selectors, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gonghui.common.views import domain_errors, download
from gonghui.common.workdays import today
from gonghui.funds.reports import exports, forms, selectors
from gonghui.orgs import access


@login_required
@domain_errors
def report(request, pk):
    """``?year=`` the programme's year, ``?node=`` the node drilled to, ``?sort=`` the
    node table's order, ``?format=xlsx`` the same figures as Excel."""
    access.require(request.user, selectors.PERM)
    programme = selectors.programme_get(actor=request.user, pk=pk)
    form = forms.ReportForm(
        request.GET if "year" in request.GET else None, years=selectors.years(programme)
    )
    year = form.chosen_year(today().year)
    node = selectors.node_get(actor=request.user, programme=programme, pk=request.GET.get("node"))
    nodes = selectors.by_node(
        actor=request.user,
        programme=programme,
        year=year,
        node=node,
        sort=request.GET.get("sort", ""),
        with_data=form.only_with_data(),
    )
    months = selectors.by_month(actor=request.user, programme=programme, year=year, node=node)
    sentence = selectors.sentence(programme, year, request.user)
    if request.GET.get("format") == "xlsx":
        content = exports.report_xlsx(
            programme=programme,
            year=year,
            node=node,
            sentence=sentence,
            nodes=nodes,
            months=months,
        )
        return download(content, f"{programme.name}{year}年报表（{node.name}）.xlsx")
    return render(
        request,
        "funds/reports/report.html",
        {
            "programme": programme,
            "year": year,
            "form": form,
            "node": node,
            "trail": selectors.trail(request.user, programme, node),
            "roots": selectors.roots(request.user, programme),
            "nodes": nodes,
            "months": months,
            "statuses": exports.STATUS_LABELS,
            "sentence": sentence,
            "node_chart": exports.node_chart(nodes["rows"]),
            "node_links": [_drill(request, r) for r in nodes["rows"]],
            "month_chart": exports.month_chart(months),
        },
    )


@login_required
@domain_errors
def dashboard(request):
    access.require(request.user, selectors.PERM)
    return render(
        request,
        "funds/reports/dashboard.html",
        {"board": selectors.dashboard(actor=request.user)},
    )


def _drill(request, row) -> str:
    """The link of a node chart's bar: the same report drilled to the row's node ("" for a
    row that opens nothing further)."""
    if not row.drillable:
        return ""
    params = request.GET.copy()
    for key in ("sort", "format", "page"):
        params.pop(key, None)
    params["node"] = row.unit.pk
    return "?" + params.urlencode()
