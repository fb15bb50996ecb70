"""One page size and one page shape for every list, on pages and in the API."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(qs, number) -> Page:
    """The requested page (out-of-range or malformed numbers give the nearest valid one)."""
    return Paginator(qs, PAGE_SIZE).get_page(number)


def page_dict(qs, number) -> dict:
    """The API's page: {count, page, items}."""
    page = page_of(qs, number)
    return {"count": page.paginator.count, "page": page.number, "items": list(page)}
