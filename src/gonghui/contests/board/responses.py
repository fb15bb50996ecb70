"""The one HTTP answer of a board snapshot, for the pages' board.json and the API alike: the
JSON body with the snapshot's version as its ETag, or 304 when the client has it."""

from django.http import HttpResponse, HttpResponseNotModified

from gonghui.contests.board.snapshots import Snapshot


def snapshot_response(request, snapshot: Snapshot, body: str, cache: str) -> HttpResponse:
    if request.headers.get("If-None-Match") == snapshot.etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = snapshot.etag
    response["Cache-Control"] = cache
    return response
