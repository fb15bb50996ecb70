"""Programmes pages; included into the ``funds`` namespace by ``funds/urls.py``."""

from django.urls import path

from gonghui.funds.programmes import views

urlpatterns = [
    path("funds/", views.home, name="home"),
    path("funds/new/", views.programme_create, name="programme_create"),
    path("funds/p/<int:pk>/", views.programme, name="programme"),
    path("funds/p/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("funds/p/<int:pk>/rules/", views.rules, name="rules"),
    path("funds/p/<int:pk>/budgets/", views.budgets, name="budgets"),
    path("funds/p/<int:pk>/ledger/", views.ledger, name="ledger"),
    path("funds/ledger/<int:pk>/correct/", views.ledger_correct, name="ledger_correct"),
    path("funds/hardship/", views.hardship_list, name="hardship_list"),
    path("funds/hardship/new/", views.hardship_new, name="hardship_new"),
    path("funds/hardship/<int:pk>/end/", views.hardship_end, name="hardship_end"),
]
