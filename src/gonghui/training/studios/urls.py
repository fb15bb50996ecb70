"""创新工作室（成员、年度成果、联盟视图）: pages."""

from django.urls import path

from gonghui.training.studios import views

urlpatterns: list = [
    path("training/studios/", views.studios, name="studios"),
    path("training/studios/export.xlsx", views.studios_export, name="studios_export"),
    path("training/studios/new/", views.studio_create, name="studio_create"),
    path("training/studios/alliance/", views.alliance, name="studio_alliance"),
    path(
        "training/studios/alliance/export.xlsx",
        views.alliance_export,
        name="studio_alliance_export",
    ),
    path("training/studios/reports/", views.reports, name="studio_reports"),
    path("training/studios/<int:pk>/", views.studio, name="studio"),
    path("training/studios/<int:pk>/edit/", views.studio_edit, name="studio_edit"),
    path("training/studios/<int:pk>/accept/", views.studio_accept, name="studio_accept"),
    path("training/studios/<int:pk>/decline/", views.studio_decline, name="studio_decline"),
    path("training/studios/<int:pk>/members/", views.studio_member_add, name="studio_member_add"),
    path(
        "training/studios/members/<int:pk>/remove/",
        views.studio_member_remove,
        name="studio_member_remove",
    ),
    path(
        "training/studios/<int:pk>/reports/new/", views.report_create, name="studio_report_create"
    ),
    path("training/studios/reports/<int:pk>/", views.report, name="studio_report"),
    path("training/studios/reports/<int:pk>/edit/", views.report_edit, name="studio_report_edit"),
    path(
        "training/studios/reports/<int:pk>/review/",
        views.report_review,
        name="studio_report_review",
    ),
    path(
        "training/studios/reports/<int:pk>/evidence/<int:attachment>/",
        views.report_evidence,
        name="studio_report_evidence",
    ),
]
