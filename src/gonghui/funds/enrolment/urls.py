"""enrolment pages; included into the ``funds`` namespace."""

from django.urls import path

from gonghui.funds.enrolment import views

urlpatterns: list = [
    path("funds/p/<int:pk>/runs/", views.runs, name="runs"),
    path("funds/p/<int:pk>/runs/new/", views.run_create, name="run_create"),
    path("funds/runs/<int:pk>/", views.run, name="run"),
    path("funds/runs/<int:pk>/enrol/", views.run_enrol, name="run_enrol"),
    path(
        "funds/entitlements/<int:pk>/cancel/",
        views.entitlement_cancel,
        name="entitlement_cancel",
    ),
]
