"""A chart's figures as an HTML table, built in one pass of plain string joins (a chart over
years and honours holds thousands of cells: the template language's loops, or
``format_html`` per cell, cost more than all the page's queries)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


def _figure(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


@register.filter
def data_table(chart: dict):
    columns = chart["columns"]
    head = "".join(
        f'<th class="count">{escape(c)}</th>' if i else f"<th>{escape(c)}</th>"
        for i, c in enumerate(columns)
    )
    rows = (
        "".join(
            f"<tr><td>{escape(row[0])}</td>"
            + "".join(f'<td class="count">{_figure(v)}</td>' for v in row[1:])
            + "</tr>"
            for row in chart["rows"]
        )
        or f'<tr><td colspan="{len(columns)}" class="muted">暂无数据</td></tr>'
    )
    return mark_safe(  # noqa: S308 (every text escaped above; figures are numbers)
        '<div class="table-wrap"><table class="data stats"><thead><tr>'
        f"{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )
