"""applications pages; included into the ``funds`` namespace."""

from django.urls import path

from gonghui.funds.applications import views

urlpatterns: list = [
    # Staff: a programme's applications, one application, deciding, on a person's behalf
    path("funds/p/<int:pk>/applications/", views.applications, name="applications"),
    path("funds/p/<int:pk>/applications/new/", views.apply_for, name="apply_for"),
    path("funds/a/<int:pk>/", views.application, name="application"),
    path("funds/a/<int:pk>/decide/", views.application_decide, name="application_decide"),
    path(
        "funds/a/<int:pk>/documents/<int:doc>/",
        views.application_document,
        name="application_document",
    ),
    # The member's own, on a phone
    path("m/funds/", views.my_applications, name="my_applications"),
    path("m/funds/p/<int:pk>/apply/", views.apply, name="apply"),
    path("m/funds/a/<int:pk>/", views.my_application, name="my_application"),
    path(
        "m/funds/a/<int:pk>/withdraw/",
        views.my_application_withdraw,
        name="my_application_withdraw",
    ),
    path(
        "m/funds/a/<int:pk>/documents/<int:doc>/",
        views.my_application_document,
        name="my_application_document",
    ),
]
