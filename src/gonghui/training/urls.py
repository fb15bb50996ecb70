"""Training pages (namespace ``training``): each feature's own."""

from django.urls import include, path

from gonghui.training import views

app_name = "training"
urlpatterns: list = [
    path("training/", views.home, name="home"),
    # courses
    path("", include("gonghui.training.courses.urls")),
    # quizzes
    path("", include("gonghui.training.quizzes.urls")),
    # salons
    path("", include("gonghui.training.salons.urls")),
    # studios
    path("", include("gonghui.training.studios.urls")),
    # outreach
    path("", include("gonghui.training.outreach.urls")),
]
