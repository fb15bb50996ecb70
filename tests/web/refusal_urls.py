"""Views that refuse as a view might (for tests/web/test_friendly_errors.py)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path

from gonghui.common.errors import Forbidden, NotFound


def _raise(exc):
    def view(request):
        raise exc

    return view


urlpatterns = [
    path("refuse/permission/", _raise(PermissionDenied("not allowed"))),
    path("refuse/forbidden/", _raise(Forbidden("只有评选活动的主办工会可以发布公示"))),
    path("refuse/http404/", _raise(Http404("No Person matches the given query."))),
    path("refuse/voting-pass/", _raise(Http404("投票凭证无效或已过期"))),
    path("refuse/not-found/", _raise(NotFound())),
    path("", include("gonghui.urls")),
]
