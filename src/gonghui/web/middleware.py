"""Requests refused before any view reads them, and the pages of a refusal."""

import json
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from gonghui.common.errors import Forbidden, NotFound

NUL = "\x00"
REFUSED = "请求中含有空字符（NUL），无法处理"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


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
