"""Contests pages (namespace ``contests``): each feature's own."""

from django.urls import include, path  # noqa: F401  (each feature adds its include)

app_name = "contests"
urlpatterns: list = [
    # setup
    path("", include("gonghui.contests.setup.urls")),
    #
    # entry
    #
    path("", include("gonghui.contests.entry.urls")),
    # judging
    path("", include("gonghui.contests.judging.urls")),
    #
    # results
    #
    path("", include("gonghui.contests.results.urls")),
    # jury & appeals
    #
    path("", include("gonghui.contests.jury.urls")),
    path("", include("gonghui.contests.appeals.urls")),
    # board
    #
    path("", include("gonghui.contests.board.urls")),
    # notary
    path("", include("gonghui.contests.notary.urls")),
    #
]
