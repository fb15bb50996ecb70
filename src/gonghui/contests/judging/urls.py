"""Pages of judging; included into the ``contests`` namespace by ``contests/urls.py``."""

from django.urls import path

from gonghui.contests.judging import views

urlpatterns = [
    # Judges, on their phones
    path("judge/", views.judge_home, name="judge_home"),
    path("judge/stages/<int:pk>/", views.judge_stage, name="judge_stage"),
    # The chief referee (裁判长) and staff
    path("contests/stages/<int:pk>/marking/", views.marking, name="marking"),
    path("contests/stages/<int:pk>/start/", views.marking_start, name="marking_start"),
    path("contests/stages/<int:pk>/recusals/", views.marking_recusals, name="marking_recusals"),
    path("contests/stages/<int:pk>/sheets/<int:number>/lock/", views.sheet_lock, name="sheet_lock"),
    path("contests/stages/<int:pk>/matches/new/", views.match_create, name="match_create"),
    path("contests/matches/<int:pk>/", views.match, name="match"),
    path("contests/matches/<int:pk>/commit/", views.match_commit, name="match_commit"),
    path("contests/matches/<int:pk>/draw/", views.match_draw, name="match_draw"),
    path("contests/matches/<int:pk>/seats/", views.match_seat_add, name="match_seat_add"),
    path("contests/seats/<int:pk>/absent/", views.seat_absent, name="seat_absent"),
]
