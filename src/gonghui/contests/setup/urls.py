"""Set-up pages; included into the ``contests`` namespace by ``contests/urls.py``."""

from django.urls import path

from gonghui.contests.setup import views

urlpatterns = [
    path("contests/", views.programmes, name="programmes"),
    path("contests/new/", views.programme_create, name="programme_create"),
    path("contests/<int:pk>/", views.programme, name="programme"),
    path("contests/<int:pk>/judges/new/", views.judge_add, name="judge_add"),
    path(
        "contests/<int:pk>/competitions/new/",
        views.competition_create,
        name="competition_create",
    ),
    path("contests/c/<int:pk>/", views.competition, name="competition"),
    path("contests/c/<int:pk>/open/", views.competition_open, name="competition_open"),
    path("contests/c/<int:pk>/rules/", views.rules_upload, name="rules_upload"),
    path("contests/c/<int:pk>/recusals/new/", views.recusal_declare, name="recusal_declare"),
    path("contests/stages/<int:pk>/edit/", views.stage_edit, name="stage_edit"),
    # A judge's own declaration of a relationship with an entrant (on a phone)
    path(
        "contests/recusals/declare/",
        views.judge_recusal_declare,
        name="judge_recusal_declare",
    ),
]
