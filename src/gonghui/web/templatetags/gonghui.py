"""Template filters and tags used on every page: masking, Chinese dates and money, sorting,
paging and the empty row of a list."""

from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import urlencode

from gonghui.audit import actions
from gonghui.common import formats, pii
from gonghui.common.pagination import PAGE_SIZES
from gonghui.web.selectors import hidden_columns

register = template.Library()


@register.filter
def masked(value, kind):
    return pii.mask(kind, value)


@register.filter
def pii_problem(value, kind):
    """Why a stored value fails today's rules, without its digits ("" if it passes)."""
    return pii.problem(kind, value) or ""


@register.filter
def cn_date(value):
    return formats.cn_date(value)


@register.filter
def cn_datetime(value):
    return formats.cn_datetime(value)


@register.filter
def yuan(fen):
    return formats.yuan(fen)


@register.filter
def action_label(code):
    return actions.action_label(code)


@register.filter
def object_label(code):
    return actions.object_label(code)


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The current query string with some parameters changed (for sorting and paging)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    if "page" not in changes:
        params.pop("page", None)
    if "export" not in changes:
        params.pop("export", None)
    return "?" + urlencode(sorted(params.lists()), doseq=True)


@register.simple_tag(takes_context=True)
def query_inputs(context, *dropped):
    """The current query's parameters as hidden inputs, but ``dropped`` ones (a GET form
    that changes those, such as the pager's page and size, keeps the filters and the order)."""
    params = context["request"].GET
    return format_html_join(
        "",
        '<input type="hidden" name="{}" value="{}">',
        (
            (key, value)
            for key, values in sorted(params.lists())
            if key not in dropped and key != "export"
            for value in values
        ),
    )


@register.inclusion_tag("web/_pager.html", takes_context=True)
def pager(context, page, *, export=True):
    """A list's pager: the count, page numbers (the first, the last and two either side of
    this one, with gaps), previous and next, a page to jump to, the page size; and, for a
    signed-in user, 导出 Excel of the filtered list (``export=False``: the list has an
    export of its own)."""
    paginator = page.paginator
    return {
        "request": context["request"],
        "page": page,
        "numbers": list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
        if paginator.num_pages > 1
        else [],
        "gap": paginator.ELLIPSIS,
        "sizes": PAGE_SIZES,
        "export": export and context["request"].user.is_authenticated,
        # A list with an export of its own (and its own permission) is never exported here:
        # the marker tells ListExportMiddleware, whatever the address asks.
        "exportable": export,
    }


@register.inclusion_tag("web/_empty_row.html", takes_context=True)
def empty_row(context, columns, create=None, label="新建", *args, may=False, none="暂无记录"):
    """A list's row when nothing is listed, saying what to do next: clear the filters (when
    the query has any) or make the first record (``create``: a URL name, with ``args``;
    offered when ``may``: the same condition as the page's own button). ``none``: what an
    unfiltered empty list means, where a list says more than "no records"."""
    request = context["request"]
    filtered = any(k not in ("page", "size", "sort", "export") for k in request.GET)
    return {
        "columns": columns,
        "clear": request.path if filtered else "",
        "create": reverse(create, args=args) if create and may else "",
        "label": label,
        "none": none,
    }


@register.inclusion_tag("web/_sort.html", takes_context=True)
def sort_header(context, key, label):
    current = context["request"].GET.get("sort", "")
    next_key = f"-{key}" if current == key else key
    arrow = "▲" if current == key else "▼" if current == f"-{key}" else ""
    return {"label": label, "href": query(context, sort=next_key), "arrow": arrow}


@register.simple_tag(takes_context=True)
def list_columns(context) -> list[str]:
    """The columns the user hid on this page's list (web/base.html hands them to
    web/lists.js, and keeps the tables hidden until it has applied them)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return []
    return hidden_columns(actor=request.user, list_name=match.view_name)
