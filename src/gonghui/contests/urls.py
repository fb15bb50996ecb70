"""Contests pages (namespace ``contests``): each feature's own."""

from django.urls import include, path  # noqa: F401  (each feature adds its include)

app_name = "contests"
urlpatterns: list = [
    # setup
    #
    # entry
    #
    # judging
    #
    # results
    #
    # jury & appeals
    #
    # board
    #
    path("", include("gonghui.contests.board.urls")),
    # notary
    #
]
