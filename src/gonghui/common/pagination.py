"""One page size and one page shape for every list, on pages and in the API."""

from functools import cached_property

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows (``cap=None``: all). A search that matches more says
    "1000+" and asks for a narrower query instead of counting every match."""

    def __init__(self, object_list, per_page, cap: int | None = None):
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        if self.cap is None:
            return super().count
        count_upto = getattr(self.object_list, "count_upto", None)  # a search's cheap count
        return count_upto(self.cap) if count_upto else self.object_list[: self.cap].count()

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.count >= self.cap


def page_of(qs, number, *, count_cap: int | None = None) -> Page:
    """The requested page (out-of-range or malformed numbers give the nearest valid one).

    The first page — what most lists show — reads its rows first: when they are fewer than a
    page, they are the whole count, and no COUNT query runs."""
    paginator = CappedPaginator(qs, PAGE_SIZE, count_cap)
    if str(number or "1").strip() == "1":
        rows = list(qs[:PAGE_SIZE])
        if len(rows) < PAGE_SIZE:
            paginator.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        return Page(rows, 1, paginator)
    return paginator.get_page(number)


def filtered_page(request, filters, rows, **more) -> Page:
    """The requested page of ``rows(**filters.filters(), **more)``; none while a filter is
    invalid (the form says which, next to the field): a bad filter must not widen the list."""
    data = filters.filters()
    found = [] if data is None else rows(**data, **more)
    return page_of(found, request.GET.get("page"))


def page_dict(qs, number, *, count_cap: int | None = None) -> dict:
    """The API's page: {count, count_capped, page, items}; ``count_capped`` says the count
    stopped at the cap (there are at least that many)."""
    page = page_of(qs, number, count_cap=count_cap)
    return {
        "count": page.paginator.count,
        "count_capped": page.paginator.capped,
        "page": page.number,
        "items": list(page),
    }
