"""Views that log (for tests/common/test_logs.py)."""

import logging

from django.http import HttpResponse
from django.urls import include, path

log = logging.getLogger("gonghui.tests.views")


def chatty(request):
    log.info("first line")
    log.warning("second line")
    return HttpResponse("ok")


def boom(request):
    number = request.POST.get("number", "")
    return int(f"号码 {number}")  # ValueError quoting the number


urlpatterns = [
    path("chatty/", chatty, name="chatty"),
    path("boom/", boom, name="boom"),
    path("", include("gonghui.urls")),
]
