"""Arbitration pages (namespace ``contests``)."""

from django.urls import path

from gonghui.contests.appeals import views

urlpatterns = [
    path("contests/c/<int:pk>/appeals/", views.appeals, name="appeals"),
    path("contests/appeals/<int:pk>/", views.appeal, name="appeal"),
    path("contests/appeals/<int:pk>/rule/", views.appeal_rule, name="appeal_rule"),
    path("contests/appeals/<int:pk>/rescore/", views.appeal_rescore, name="appeal_rescore"),
    path("contests/rescores/<int:pk>/apply/", views.rescore_apply, name="rescore_apply"),
    path("contests/rescores/<int:pk>/cancel/", views.rescore_cancel, name="rescore_cancel"),
    # The entrant, signed in
    path("m/contests/appeal/<int:pk>/", views.entrant_appeal, name="entrant_appeal"),
]
