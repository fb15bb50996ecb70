"""Contests pages (namespace ``contests``): each feature's own."""

from django.urls import include, path  # noqa: F401  (each feature adds its include)

app_name = "contests"
urlpatterns: list = [
    # setup
    #
    # entry
    #
    # judging
    path("", include("gonghui.contests.judging.urls")),
    #
    # results
    #
    # jury & appeals
    #
    # board
    #
    # notary
    #
]
