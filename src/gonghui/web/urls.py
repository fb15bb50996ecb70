from django.contrib.auth import views as auth_views
from django.urls import path

from gonghui.jobs.views import job_download
from gonghui.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.member_home, name="member_home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("orgs/", views.org_list, name="org_list"),
    path("tree/<int:pk>/", views.tree_children, name="tree_children"),
    path("tree/search/", views.tree_find, name="tree_search"),
    path("orgs/import/", views.org_import, name="org_import"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("orgs/<int:pk>/new/", views.org_create, name="org_create"),
    path("orgs/<int:pk>/edit/", views.org_edit, name="org_edit"),
    path("orgs/<int:pk>/move/", views.org_move, name="org_move"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download", job_download, name="job_download"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/lookup/", views.person_lookup, name="person_lookup"),
    path("people/transfers/", views.transfer_list, name="transfer_list"),
    path(
        "people/transfers/<int:pk>/approve/",
        views.transfer_decide,
        {"decision": "approve"},
        name="transfer_approve",
    ),
    path(
        "people/transfers/<int:pk>/refuse/",
        views.transfer_decide,
        {"decision": "refuse"},
        name="transfer_refuse",
    ),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/<str:field>/", views.person_reveal, name="person_reveal"),
    path("people/<int:pk>/attach/", views.person_attach, name="person_attach"),
    path("lists/columns/", views.list_columns, name="list_columns"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("files/<int:pk>/", views.file_download, name="file_download"),
]
