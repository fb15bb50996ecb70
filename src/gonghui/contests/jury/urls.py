"""Jury pages (namespace ``contests``)."""

from django.urls import path

from gonghui.contests.jury import views

urlpatterns = [
    path("contests/<int:pk>/jurors/", views.jurors, name="jurors"),
    path("contests/jurors/<int:pk>/seat/", views.juror_seat, name="juror_seat"),
    path("contests/jurors/<int:pk>/unseat/", views.juror_unseat, name="juror_unseat"),
    path("contests/jurors/<int:pk>/pass/", views.juror_pass, name="juror_pass"),
    path("contests/stages/<int:pk>/votes/", views.stage_votes, name="stage_votes"),
    # The juror's phone: the signed pass in the query string (never in a path, which the
    # access and error logs write), no account
    path("vote/", views.vote, name="vote"),
]
