"""Requests refused before any view reads them, the pages of a refusal, and a list page
answered as an Excel export."""

import json
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from gonghui.common import ratelimit
from gonghui.common.errors import Forbidden, NotFound
from gonghui.common.pagination import EXPORT_ROWS, ExportTooLong
from gonghui.common.views import download
from gonghui.web.selectors import hidden_columns
from gonghui.web.services import list_export
from gonghui.web.tables import listed_table

NUL = "\x00"
REFUSED = "请求中含有空字符（NUL），无法处理"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
NO_LIST = "此页面没有可导出的列表"
OWN_EXPORT = "此列表请使用本页自带的导出功能"
TOO_MANY = "符合条件的记录超过 {} 条，无法一次导出，请增加筛选条件后再导出"
TOO_OFTEN = "导出过于频繁，请一分钟后再试"
EXPORTS_PER_MINUTE = 6  # a user's list exports a minute: each renders up to EXPORT_ROWS rows


class RefuseNulMiddleware:
    """A page's query string or JSON body with a NUL character is answered 400 before any
    view reads it. No text column can hold one (PostgreSQL refuses it: the page answered
    500), nobody types one, and form fields refuse it already (Django's
    ProhibitNullCharactersValidator); the pages that read a parameter without a form (a
    list's ``status``) need not each remember it. The API refuses it itself, naming the
    field or parameter (422, gonghui/api.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            return self.get_response(request)
        if _has_nul(list(request.GET.lists())) or _json_has_nul(request):
            return render(request, "web/error.html", {"message": REFUSED}, status=400)
        return self.get_response(request)


def _json_has_nul(request) -> bool:
    if request.content_type != "application/json" or not request.body:
        return False
    try:
        return _has_nul(json.loads(request.body))
    except ValueError:
        return False  # not JSON: the API answers that itself


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class FriendlyErrorsMiddleware:
    """A page that is not there (or not in the viewer's scope) and an action refused are
    the site's own pages in Chinese that say what to do next (404.html, 403.html), also
    with debug on: Django's debug 404 lists every URL pattern of the platform to whoever
    mistypes an address, and a NotFound or Forbidden a view let through would be a
    traceback. Under /api/ the API answers JSON itself (gonghui.api.ApiMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and request.resolver_match is None  # no page matched: Django's debug 404
            and not request.path_info.startswith("/api/")
        ):
            return render(request, "404.html", status=404)
        return response

    def process_exception(self, request, exc):
        if request.path_info.startswith("/api/"):
            return None
        if isinstance(exc, Http404 | NotFound):
            # A view's own reason ("投票凭证无效或已过期"), not Django's English one.
            reason = str(exc)
            message = reason if CHINESE.search(reason) else ""
            return render(request, "404.html", {"message": message}, status=404)
        if isinstance(exc, PermissionDenied):
            return render(request, "403.html", status=403)
        if isinstance(exc, Forbidden):
            return render(request, "403.html", {"message": exc.message}, status=403)
        return None


class ListExportMiddleware:
    """``?export=xlsx`` on any list page (the pager's 导出 Excel): the page's own view
    answers the request, asked for every filtered row up to ``EXPORT_ROWS``
    (``common.pagination.request_page``), and the list it renders — the ``table.data``
    before its pager, with the columns the user shows — becomes the workbook, recorded as
    ``list.export``. The same view with the same user: what the page would not show (out
    of scope, masked, refused) the export does not hold. For signed-in users only; anything
    but a page with a list (a 404, a redirect) is answered as the view answered it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method != "GET"
            or request.GET.get("export") != "xlsx"
            or request.path_info.startswith("/api/")
            or not request.user.is_authenticated
        ):
            return self.get_response(request)
        if ratelimit.hit(f"list-export:{request.user.pk}", window=60) > EXPORTS_PER_MINUTE:
            return _back_to_list(request, TOO_OFTEN)
        request.list_export = True
        response = self.get_response(request)
        if (
            response.status_code != 200
            or response.streaming
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        table = listed_table(response.content.decode(response.charset or "utf-8"))
        if table is None or not table.exportable:
            message = NO_LIST if table is None else OWN_EXPORT
            return render(request, "web/error.html", {"message": message}, status=400)
        list_name = request.resolver_match.view_name
        hidden = set(hidden_columns(actor=request.user, list_name=list_name))
        shown = [i for i, h in enumerate(table.headers) if h and h not in hidden]
        content = list_export(
            actor=request.user,
            list_name=list_name,
            filters={
                k: v[0] if len(v) == 1 else v
                for k, v in request.GET.lists()
                if k not in ("page", "size", "export")
            },
            title=table.title,
            headers=[table.headers[i] for i in shown],
            rows=[[row[i] if i < len(row) else "" for i in shown] for row in table.rows],
        )
        return download(content, f"{table.title or '列表'}.xlsx")

    def process_exception(self, request, exc):
        if isinstance(exc, ExportTooLong):
            return _back_to_list(request, TOO_MANY.format(EXPORT_ROWS))
        return None


def _back_to_list(request, message: str):
    """The list page itself (its filters kept), saying why it was not exported."""
    back = request.GET.copy()
    back.pop("export", None)
    messages.error(request, message)
    return redirect(f"{request.path}?{back.urlencode()}")
