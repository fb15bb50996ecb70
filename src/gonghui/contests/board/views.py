"""The live board's pages: the public big-screen board, the stream overlay and board.json
(no login; a warm view makes no query), and the staff's true board with the chief
referee's freeze / reveal-next / unfreeze. Thin: parse, call one service or selector,
render. Every page updates itself through the stream server (``stream.py``), falling back
to polling its JSON (``static/contests/board.js``)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from gonghui.common.errors import NotFound
from gonghui.common.live import stream_origin
from gonghui.common.views import domain_errors, post_action
from gonghui.contests.board import selectors, services
from gonghui.contests.board.responses import snapshot_response


def _page(request, template: str, context: dict, pk: int) -> HttpResponse:
    origin = stream_origin(request)
    response = render(
        request,
        template,
        context | {"stream_url": f"{origin}/live/{pk}/events"},
    )
    if origin:  # the stream lives at another origin: the page may connect to it
        response._csp_update = response._csp_update_ro = {"connect-src": ["'self'", origin]}
    return response


def _public(pk: int):
    try:
        return selectors.public_board(pk=pk)
    except NotFound:
        raise Http404("没有这项竞赛") from None


def _public_page(request, template: str, pk: int) -> HttpResponse:
    snapshot = _public(pk)
    return _page(
        request,
        template,
        {
            "board": snapshot.public,
            "version": snapshot.version,
            "json_url": reverse("contests:board_json", args=[pk]),
        },
        pk,
    )


# --- Public (no login) ------------------------------------------------------------------


@require_safe
def live(request, pk):
    """The big-screen board (readable on a phone too)."""
    return _public_page(request, "contests/board/live.html", pk)


@require_safe
def overlay(request, pk):
    """A transparent board for the stream's video overlay."""
    return _public_page(request, "contests/board/overlay.html", pk)


@require_safe
def board_json(request, pk):
    """The public snapshot (ETag: its version), what the pages poll without a stream."""
    snapshot = _public(pk)
    return snapshot_response(request, snapshot, snapshot.public_json, "no-cache")


# --- Staff: the true board --------------------------------------------------------------


@login_required
@domain_errors
@require_safe
def staff_board(request, pk):
    page = selectors.staff_board(actor=request.user, pk=pk)
    return _page(
        request,
        "contests/board/staff.html",
        {
            "competition": page.competition,
            "board": page.snapshot.staff,
            "version": page.snapshot.version,
            "may_referee": page.may_referee,
            "json_url": reverse("contests:staff_board_json", args=[pk]),
            "live_url": reverse("contests:live", args=[pk]),
            "overlay_url": reverse("contests:overlay", args=[pk]),
        },
        pk,
    )


@login_required
@domain_errors
@require_safe
def staff_board_json(request, pk):
    """The true board as JSON (ETag: its version), polled by the staff page."""
    page = selectors.staff_board(actor=request.user, pk=pk)
    return snapshot_response(request, page.snapshot, page.snapshot.staff_json, "private, no-cache")


def _referee(request, pk, call, done):
    competition = selectors.competition_for_referee(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: call(actor=request.user, competition=competition),
        done,
        reverse("contests:staff_board", args=[pk]),
    )


@login_required
@domain_errors
@require_POST
def freeze(request, pk):
    return _referee(
        request, pk, services.board_freeze, lambda c: "已封榜：此后锁定的成绩只在本页显示，待揭晓"
    )


@login_required
@domain_errors
@require_POST
def reveal_next(request, pk):
    return _referee(
        request,
        pk,
        services.board_reveal_next,
        lambda r: f"已揭晓：{r.stage.name} 第 {r.place} 名（{r.entrant}号）",
    )


@login_required
@domain_errors
@require_POST
def unfreeze(request, pk):
    return _referee(
        request,
        pk,
        services.board_unfreeze,
        lambda revealed: f"已解除封榜，依次揭晓其余 {len(revealed)} 项成绩",
    )
