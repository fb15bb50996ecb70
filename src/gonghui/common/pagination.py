"""One page size and one page shape for every list, on pages and in the API."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(qs, number) -> Page:
    """The requested page (out-of-range or malformed numbers give the nearest valid one).

    The first page — what most lists show — reads its rows first: when they are fewer than a
    page, they are the whole count, and no COUNT query runs."""
    paginator = Paginator(qs, PAGE_SIZE)
    if str(number or "1").strip() == "1":
        rows = list(qs[:PAGE_SIZE])
        if len(rows) < PAGE_SIZE:
            paginator.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        return Page(rows, 1, paginator)
    return paginator.get_page(number)


def page_dict(qs, number) -> dict:
    """The API's page: {count, page, items}."""
    page = page_of(qs, number)
    return {"count": page.paginator.count, "page": page.number, "items": list(page)}
