"""Requests refused before any view reads them."""

import json

from django.shortcuts import render

NUL = "\x00"
REFUSED = "请求中含有空字符（NUL），无法处理"


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
