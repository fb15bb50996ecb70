"""读书沙龙 and the lecturers' page; included into the ``training`` namespace."""

from django.urls import path

from gonghui.training.salons import views

urlpatterns: list = [
    path("training/salons/", views.salons, name="salons"),
    path("training/salons/new/", views.salon_apply, name="salon_apply"),
    path("training/salons/people/", views.salon_people, name="salon_people"),
    path("training/salons/stats/", views.salon_stats, name="salon_stats"),
    path("training/salons/<int:pk>/", views.salon, name="salon"),
    path("training/salons/<int:pk>/edit/", views.salon_reapply, name="salon_reapply"),
    path("training/salons/<int:pk>/decide/", views.salon_decide, name="salon_decide"),
    path("training/salons/<int:pk>/members/", views.salon_members_add, name="salon_members_add"),
    path(
        "training/salons/<int:pk>/members/<int:person_pk>/remove/",
        views.salon_member_remove,
        name="salon_member_remove",
    ),
    path(
        "training/salons/<int:pk>/meetings/new/", views.salon_meeting_new, name="salon_meeting_new"
    ),
    path("training/lecturers/", views.lecturer_list, name="lecturers"),
]
