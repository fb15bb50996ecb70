"""One page shape for every list, on pages and in the API: the page the request asks for, in
the page size it asks for (within bounds), with the count capped where counting would cost."""

from functools import cached_property

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50
PAGE_SIZES = (20, 50, 100, 200)  # what a list's page-size choice offers (and accepts)
# An export of a list (web.middleware.ListExportMiddleware) renders its first this-many rows
# and one more, which says the filtered list is longer than an export may be.
EXPORT_ROWS = 10_000


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
        if count_upto is not None:
            return count_upto(self.cap)
        if isinstance(self.object_list, list):
            return min(len(self.object_list), self.cap)
        return self.object_list[: self.cap].count()

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.count >= self.cap


def page_size(value) -> int:
    """A requested page size: one of ``PAGE_SIZES``, else (absent, malformed, huge) the
    default."""
    try:
        size = int(str(value).strip())
    except (TypeError, ValueError):
        return PAGE_SIZE
    return size if size in PAGE_SIZES else PAGE_SIZE


def page_of(qs, number, *, size: int | None = None, count_cap: int | None = None) -> Page:
    """The requested page (out-of-range or malformed numbers give the nearest valid one), of
    ``size`` rows (``None``: ``PAGE_SIZE``).

    The first page — what most lists show — reads its rows first: when they are fewer than a
    page, they are the whole count, and no COUNT query runs."""
    size = size or PAGE_SIZE
    paginator = CappedPaginator(qs, size, count_cap)
    if str(number or "1").strip() == "1":
        rows = list(qs[:size])
        if len(rows) < size:
            paginator.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        return Page(rows, 1, paginator)
    return paginator.get_page(number)


class ExportTooLong(Exception):
    """A list's export asked for more than ``EXPORT_ROWS`` rows: refused before any is read."""


def request_page(request, qs, *, count_cap: int | None = None) -> Page:
    """The page of ``qs`` that a list page's request asks for: ``?page=`` and ``?size=``.
    An export of the list (``request.list_export``) asks for every row up to the export's
    cap; a longer list is refused before its rows are read (``ExportTooLong``)."""
    if getattr(request, "list_export", False):
        if CappedPaginator(qs, EXPORT_ROWS, cap=EXPORT_ROWS + 1).count > EXPORT_ROWS:
            raise ExportTooLong()
        return page_of(qs, 1, size=EXPORT_ROWS, count_cap=count_cap)
    return page_of(
        qs, request.GET.get("page"), size=page_size(request.GET.get("size")), count_cap=count_cap
    )


def filtered_page(request, filters, rows, **more) -> Page:
    """The requested page of ``rows(**filters.filters(), **more)``; none while a filter is
    invalid (the form says which, next to the field): a bad filter must not widen the list."""
    data = filters.filters()
    found = [] if data is None else rows(**data, **more)
    return request_page(request, found)


def page_dict(qs, number, *, size=None, count_cap: int | None = None) -> dict:
    """The API's page: {count, count_capped, page, items}; ``count_capped`` says the count
    stopped at the cap (there are at least that many). ``size``: one of ``PAGE_SIZES``,
    else the default."""
    page = page_of(qs, number, size=page_size(size), count_cap=count_cap)
    return {
        "count": page.paginator.count,
        "count_capped": page.paginator.capped,
        "page": page.number,
        "items": list(page),
    }
