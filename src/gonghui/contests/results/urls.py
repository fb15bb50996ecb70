"""Pages of results, advancing, titles and the talent database (namespace ``contests``)."""

from django.urls import path

from gonghui.contests.results import views

urlpatterns = [
    path("contests/stages/<int:pk>/results/", views.stage_results, name="stage_results"),
    path("contests/stages/<int:pk>/results/lock/", views.results_lock, name="results_lock"),
    path("contests/stages/<int:pk>/advance/", views.advance_confirm, name="advance_confirm"),
    path("contests/c/<int:pk>/titles/", views.titles, name="titles"),
    path("contests/c/<int:pk>/titles/award/", views.titles_award, name="titles_award"),
    path(
        "contests/p/<int:pk>/titles/award/",
        views.programme_titles_award,
        name="programme_titles_award",
    ),
    path("contests/talent/", views.talent, name="talent"),
]
