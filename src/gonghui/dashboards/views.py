"""The dashboards' pages (数据看板): the leadership's overview and one page per programme,
each chart's workbook, the display tokens' page, and the wall screen opened by a display
token (no login: the token opens that screen and its data, nothing else)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.common.views import apply_errors, domain_errors, download, post_action
from gonghui.dashboards import charts, forms, selectors
from gonghui.dashboards.charts import LEADER, PAGES, TITLES
from gonghui.dashboards.metrics import METRICS
from gonghui.dashboards.services import display_token_create, display_token_revoke


def _place(request):
    """The filters and the node they name (NotFound for a node the viewer may not see)."""
    form = forms.FilterForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, selectors.node_get(actor=request.user, pk=form.cleaned_data["node"])


@login_required
@require_GET
@domain_errors
def dashboard(request, page: str = LEADER):
    if page not in PAGES or not selectors.may_view_page(request.user, _programme(page)):
        raise NotFound()
    form, node = _place(request)
    tabs = {
        code: title
        for code, title in TITLES.items()
        if selectors.may_view_page(request.user, _programme(code))
    }
    context = {"form": form, "page": page, "title": TITLES[page], "tabs": tabs}
    if node is not None:
        metrics = charts.page_metrics(page)
        states = selectors.refreshed_at(metrics)
        tiles, shown = charts.page_charts(page, node, form.years())
        context |= {
            "node": node,
            "trail": selectors.trail(actor=request.user, node=node),
            "tiles": tiles,
            "charts": shown,
            "refreshed": min(states.values()) if len(states) == len(metrics) else None,
            "query": _query(form, node),
        }
    return render(request, "dashboards/dashboard.html", context)


def _programme(page: str) -> str | None:
    """The programme whose view permission a dashboard page needs (None: the overview)."""
    return None if page == LEADER else page


def _query(form, node) -> str:
    parts = [f"node={node.pk}"]
    for name in ("year_from", "year_to"):
        if form.cleaned_data.get(name) is not None:
            parts.append(f"{name}={form.cleaned_data[name]}")
    return "&".join(parts)


@login_required
@require_GET
@domain_errors
def chart_export(request, page: str, chart: str):
    """A chart's figures as a workbook: aggregates of the viewer's scope (no personal data,
    so not an audited export)."""
    spec = charts.spec_get(page, chart)
    if spec is None or not selectors.may_view_page(request.user, _programme(page)):
        raise NotFound()
    form, node = _place(request)
    if node is None:
        return render(request, "web/error.html", {"message": "；".join(_errors(form))}, status=400)
    years = form.years()
    table = charts.chart(spec, node, years)
    return download(charts.workbook(spec, table, node, years), f"{spec.title}-{node.name}.xlsx")


def _errors(form) -> list[str]:
    return [e for errors in form.errors.values() for e in errors]


# --- Display tokens (city staff) ----------------------------------------------------------


@login_required
@domain_errors
def screens(request):
    tokens = selectors.display_token_list(actor=request.user)
    units = selectors.screen_units(actor=request.user)
    form = forms.DisplayTokenForm(request.POST or None, units=units)
    raw, now = None, timezone.now()
    if request.method == "POST" and form.is_valid():
        try:
            _, raw = display_token_create(actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            form = forms.DisplayTokenForm(units=units)
    response = render(
        request,
        "dashboards/screens.html",
        {
            "form": form,
            "raw": raw,
            "wall_path": raw and request.build_absolute_uri(f"/screen/{raw}/"),
            "tokens": [(t, t.state_at(now)) for t in tokens[:200]],
        },
    )
    response["Cache-Control"] = "no-store"  # a new token is on the page
    return response


@login_required
@require_POST
@domain_errors
def screen_revoke(request, pk: int):
    if not selectors.may_manage_screens(request.user):
        raise NotFound()
    return post_action(
        request,
        None,
        lambda _: display_token_revoke(actor=request.user, token_id=pk),
        lambda token: f"已吊销展示令牌 {token.prefix}…（{token.name}），大屏将在下次刷新时停止显示",
        "dashboards:screens",
    )


# --- The wall screen (display token only) -------------------------------------------------


def _wall(token: str) -> dict:
    _, node = selectors.display_token_node(token)
    states = selectors.refreshed_at(METRICS)
    tiles, shown = charts.page_charts(LEADER, node, selectors.ALL_YEARS, dark=True)
    return {
        "node": node,
        "tiles": tiles,
        "charts": shown,
        "people": selectors.wall_people(node=node),
        "refreshed": min(states.values()) if len(states) == len(METRICS) else None,
    }


def _private(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


@require_GET
def wall(request, token: str):
    try:
        context = _wall(token)
    except NotFound as exc:
        return _private(
            render(request, "dashboards/wall_error.html", {"message": exc.message}, status=404)
        )
    context["refresh_seconds"] = settings.DASHBOARDS_WALL_REFRESH_SECONDS
    return _private(render(request, "dashboards/wall.html", context))


@require_GET
def wall_data(request, token: str):
    try:
        context = _wall(token)
    except NotFound as exc:
        return _private(JsonResponse({"error": exc.message}, status=404))
    refreshed = context["refreshed"]
    return _private(
        JsonResponse(
            {
                "tiles": context["tiles"],
                "charts": [{"id": c["id"], "option": c["option"]} for c in context["charts"]],
                "refreshed": refreshed.isoformat() if refreshed else None,
            }
        )
    )
