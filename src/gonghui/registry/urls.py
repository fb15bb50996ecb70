from django.urls import path

from gonghui.registry import views

app_name = "registry"
urlpatterns = [
    path("registry/", views.search, name="search"),
    path("registry/honours/", views.honours, name="honours"),
    path("registry/units/", views.employers, name="units"),
    path("registry/statistics/", views.statistics, name="statistics"),
    path("registry/dictionary/", views.dictionary, name="dictionary"),
    path("registry/import/", views.import_page, name="import"),
    path("registry/import/template.xlsx", views.template_download, name="template"),
    path("registry/import/<int:pk>/errors.xlsx", views.error_report, name="error_report"),
    path("registry/export/", views.export, name="export"),
    path("registry/people/<int:pk>/", views.person, name="person"),
    path("registry/people/<int:pk>/awards/new/", views.award_create, name="award_create"),
    path("registry/people/<int:pk>/merge/", views.merge, name="merge"),
    path("registry/people/<int:pk>/media/", views.media, name="media"),
    path("registry/awards/<int:pk>/revoke/", views.award_revoke, name="award_revoke"),
    path("registry/awards/<int:pk>/documents/", views.award_document, name="award_document"),
    path("registry/merges/<int:pk>/reverse/", views.merge_reverse, name="merge_reverse"),
    path("wall/", views.wall, name="wall"),
    path("wall/<int:pk>/", views.wall_person, name="wall_person"),
    path("wall/<int:pk>/portrait", views.wall_portrait, name="wall_portrait"),
]
