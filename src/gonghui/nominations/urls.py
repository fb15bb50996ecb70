from django.urls import path

from gonghui.nominations import views

app_name = "nominations"
urlpatterns = [
    path("nominations/", views.campaigns, name="campaigns"),
    path("nominations/<int:pk>/", views.campaign, name="campaign"),
    path("nominations/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("nominations/<int:pk>/quotas/", views.quota_set, name="quota_set"),
    path("nominations/<int:pk>/rules/", views.rule_add, name="rule_add"),
    path("nominations/<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("nominations/<int:pk>/advance/", views.advance, name="advance"),
    path("nominations/<int:pk>/notices/new/", views.notice_publish, name="notice_publish"),
    path(
        "nominations/<int:pk>/quotas/<int:quota_pk>/submit/", views.list_submit, name="list_submit"
    ),
    path("nominations/<int:pk>/final/", views.final_xlsx, name="final_xlsx"),
    path("nominations/n/<int:pk>/", views.nomination, name="nomination"),
    path("nominations/n/<int:pk>/form.docx", views.form_docx, name="form_docx"),
    path("nominations/n/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("nominations/n/<int:pk>/clearance/", views.clearance, name="clearance"),
    path("nominations/n/<int:pk>/objections/new/", views.objection_enter, name="objection_enter"),
    path(
        "nominations/objections/<int:pk>/contact/",
        views.objection_contact,
        name="objection_contact",
    ),
    path(
        "nominations/objections/<int:pk>/triage/", views.objection_triage, name="objection_triage"
    ),
    path(
        "nominations/objections/<int:pk>/resolve/",
        views.objection_resolve,
        name="objection_resolve",
    ),
    path("calendar/", views.calendar, name="calendar"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("notices/<int:pk>/list.<str:fmt>", views.notice_download, name="notice_download"),
    path("notices/<int:pk>/<int:nomination_pk>/", views.notice_nominee, name="notice_nominee"),
    path("notices/lookup/", views.objection_lookup, name="objection_lookup"),
]
