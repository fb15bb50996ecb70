"""accounts pages; included into the ``funds`` namespace."""

from django.urls import path

from gonghui.funds.accounts import views

urlpatterns: list = [
    # Union staff: a payee's accounts
    path("funds/people/<int:pk>/accounts/", views.accounts, name="accounts"),
    path("funds/accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("funds/accounts/<int:pk>/reveal/", views.account_reveal, name="account_reveal"),
    path("funds/accounts/status-import/", views.status_import, name="accounts_status_import"),
    # Union staff: a batch's failure prediction and re-routing
    path("funds/batches/<int:pk>/prediction/", views.prediction, name="prediction"),
    path("funds/batches/<int:pk>/prediction/run/", views.prediction_run, name="prediction_run"),
    path(
        "funds/batches/<int:pk>/prediction/accept/",
        views.prediction_accept_all,
        name="prediction_accept_all",
    ),
    path("funds/lines/<int:pk>/reroute/", views.line_reroute, name="line_reroute"),
    # Members, on their phones
    path("m/funds/accounts/", views.my_accounts, name="my_accounts"),
]
