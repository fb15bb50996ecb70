"""Funds pages (namespace ``funds``): each feature's own."""

from django.urls import include, path

app_name = "funds"
urlpatterns: list = [
    path("", include("gonghui.funds.programmes.urls")),
    path("", include("gonghui.funds.applications.urls")),
    path("", include("gonghui.funds.enrolment.urls")),
    path("", include("gonghui.funds.accounts.urls")),
    path("", include("gonghui.funds.payouts.urls")),
    path("", include("gonghui.funds.reports.urls")),
]
