"""宣讲团、工会主席接待日与联盟: pages (namespace ``training``, under /training/outreach/)."""

from django.urls import path

from gonghui.training.outreach import views

P = "training/outreach/"
urlpatterns: list = [
    path(P, views.home, name="outreach"),
    # speakers' bureaus
    path(f"{P}teams/", views.teams, name="teams"),
    path(f"{P}teams/new/", views.team_create, name="team_create"),
    path(f"{P}teams/<int:pk>/", views.team, name="team"),
    path(f"{P}teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path(f"{P}teams/<int:pk>/speakers/", views.speaker_add, name="speaker_add"),
    path(f"{P}speakers/<int:pk>/remove/", views.speaker_remove, name="speaker_remove"),
    # talks
    path(f"{P}teams/<int:pk>/book/", views.talk_book, name="talk_book"),
    path(f"{P}talks/", views.talks, name="talks"),
    path(f"{P}talks/stats/", views.talk_stats, name="talk_stats"),
    path(f"{P}talks/<int:pk>/", views.talk, name="talk"),
    path(f"{P}talks/<int:pk>/confirm/", views.talk_confirm, name="talk_confirm"),
    path(f"{P}talks/<int:pk>/cancel/", views.talk_cancel, name="talk_cancel"),
    path(f"{P}talks/<int:pk>/report/", views.talk_report, name="talk_report"),
    # reception days and their problems
    path(f"{P}visits/", views.visits, name="visits"),
    path(f"{P}visits/new/", views.visit_create, name="visit_create"),
    path(f"{P}visits/<int:pk>/", views.visit, name="visit"),
    path(f"{P}visits/<int:pk>/advance/", views.visit_advance, name="visit_advance"),
    path(f"{P}visits/<int:pk>/problems/new/", views.problem_raise, name="problem_raise"),
    path(f"{P}problems/", views.problems, name="problems"),
    path(f"{P}problems/<int:pk>/", views.problem, name="problem"),
    path(f"{P}problems/<int:pk>/answer/", views.problem_answer, name="problem_answer"),
    path(f"{P}problems/<int:pk>/close/", views.problem_close, name="problem_close"),
    path(f"{P}problems/<int:pk>/assign/", views.problem_assign, name="problem_assign"),
    # alliances
    path(f"{P}alliances/", views.alliances, name="alliances"),
    path(f"{P}alliances/new/", views.alliance_create, name="alliance_create"),
    path(f"{P}alliances/<int:pk>/", views.alliance, name="alliance"),
    path(f"{P}alliances/<int:pk>/edit/", views.alliance_edit, name="alliance_edit"),
    path(f"{P}alliances/<int:pk>/members/", views.alliance_member_add, name="alliance_member_add"),
    path(
        f"{P}alliance-members/<int:pk>/remove/",
        views.alliance_member_remove,
        name="alliance_member_remove",
    ),
    path(
        f"{P}alliances/<int:pk>/activities/new/",
        views.alliance_activity_add,
        name="alliance_activity_add",
    ),
]
