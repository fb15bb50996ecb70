"""reports pages; included into the ``funds`` namespace."""

from django.urls import path

from gonghui.funds.reports import views

urlpatterns: list = [
    path("funds/p/<int:pk>/report/", views.report, name="report"),
    path("funds/dashboard/", views.dashboard, name="dashboard"),
]
