"""The live board's pages; included into the ``contests`` namespace by ``contests/urls.py``."""

from django.urls import path

from gonghui.contests.board import views

urlpatterns = [
    # Public (no login); /live/<pk>/events is the stream server's (stream.py), not Django's.
    path("live/<int:pk>/", views.live, name="live"),
    path("live/<int:pk>/overlay/", views.overlay, name="overlay"),
    path("live/<int:pk>/board.json", views.board_json, name="board_json"),
    # Staff: the true board and the chief referee's freeze / reveal / unfreeze
    path("contests/c/<int:pk>/board/", views.staff_board, name="staff_board"),
    path("contests/c/<int:pk>/board.json", views.staff_board_json, name="staff_board_json"),
    path("contests/c/<int:pk>/board/freeze/", views.freeze, name="board_freeze"),
    path("contests/c/<int:pk>/board/reveal/", views.reveal_next, name="board_reveal"),
    path("contests/c/<int:pk>/board/unfreeze/", views.unfreeze, name="board_unfreeze"),
]
