"""Template filters and tags used on every page: masking, Chinese dates and money, sorting."""

from django import template
from django.utils.http import urlencode

from gonghui.audit import actions
from gonghui.common import formats, pii

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
    return "?" + urlencode(sorted(params.lists()), doseq=True)


@register.inclusion_tag("web/_sort.html", takes_context=True)
def sort_header(context, key, label):
    current = context["request"].GET.get("sort", "")
    next_key = f"-{key}" if current == key else key
    arrow = "▲" if current == key else "▼" if current == f"-{key}" else ""
    return {"label": label, "href": query(context, sort=next_key), "arrow": arrow}
