"""The stream server's application (``uvicorn --factory gonghui.web.streams:create_app``, run
by ``gonghui serve`` and ``gonghui livestream``): the live boards of every app, each kind
with its own hub (one listener, one database thread), on one ASGI process
(``gonghui.common.live``, docs/live-board.md)."""

from __future__ import annotations

from gonghui.common.live import StreamApp


def create_app() -> StreamApp:
    """Django set up for the database and settings only; no Django request handling at all."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    django.setup()
    from gonghui.common import live
    from gonghui.contests.board import stream
    from gonghui.training.quizzes import board

    return StreamApp([stream.Hub(), live.Hub(board.BOARD, poll_seconds=board.POLL_SECONDS)])
