"""Payout pages; included into the ``funds`` namespace."""

from django.urls import path

from gonghui.funds.payouts import views

urlpatterns = [
    # A programme's batches (funds.view; a new batch: funds.pay)
    path("funds/p/<int:pk>/batches/", views.batches, name="batches"),
    # One batch (funds.view in the paying union's scope); its actions (funds.pay there)
    path("funds/batches/<int:pk>/", views.batch, name="batch"),
    path("funds/batches/<int:pk>/build/", views.batch_build, name="batch_build"),
    path("funds/batches/<int:pk>/release/", views.batch_release, name="batch_release"),
    # The bank file (funds.pay + people.view_pii: it holds real account numbers)
    path("funds/batches/<int:pk>/export/", views.batch_export, name="batch_export"),
    path("funds/batches/<int:pk>/files/<int:file_pk>/", views.batch_file, name="batch_file"),
    path("funds/batches/<int:pk>/returns/", views.batch_returns, name="batch_returns"),
    path("funds/batches/<int:pk>/reconcile/", views.batch_reconcile, name="batch_reconcile"),
    # The exception queue (funds.view, scoped) and a failed line's re-issue (funds.pay)
    path("funds/exceptions/", views.exceptions, name="exceptions"),
    path("funds/lines/<int:pk>/reissue/", views.line_reissue, name="line_reissue"),
]
