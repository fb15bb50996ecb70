from django.urls import path

from gonghui.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("dashboards/", views.dashboard, name="home"),
    path("dashboards/screens/", views.screens, name="screens"),
    path("dashboards/screens/<int:pk>/revoke/", views.screen_revoke, name="screen_revoke"),
    path("dashboards/<slug:page>/", views.dashboard, name="programme"),
    path("dashboards/<slug:page>/<slug:chart>.xlsx", views.chart_export, name="export"),
    path("screen/<str:token>/", views.wall, name="wall"),
    path("screen/<str:token>/data", views.wall_data, name="wall_data"),
]
