"""Pages of the notarised record; included into the ``contests`` namespace."""

from django.urls import path

from gonghui.contests.notary import views

urlpatterns = [
    # The notary's own desk (their account, on any device)
    path("notary/", views.notary_home, name="notary_home"),
    path("notary/milestones/<int:pk>/message", views.notary_message, name="notary_message"),
    path(
        "notary/milestones/<int:pk>/countersign/",
        views.notary_countersign,
        name="notary_countersign",
    ),
    # Staff: a competition's record
    path("contests/c/<int:pk>/record/", views.record, name="record"),
    path("contests/c/<int:pk>/record/bundle/", views.record_bundle, name="record_bundle"),
    path("contests/c/<int:pk>/record/notary/", views.notary_add, name="notary_add"),
    # Public: the files a notary keeps (the verifier and the rules), with their SHA-256
    path("contests/verify_contest.py", views.verifier_download, name="verify_contest"),
    path("contests/verifier/", views.verifier_files, name="verifier_files"),
    path("contests/verifier/<str:name>", views.verifier_file, name="verifier_file"),
]
