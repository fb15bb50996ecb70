"""Pages of the giveaways; included into the ``perks`` namespace by ``perks/urls.py``."""

from django.urls import path

from gonghui.perks.giveaways import views

urlpatterns = [
    # Union staff: giveaways
    path("giveaways/", views.giveaways, name="giveaways"),
    path("giveaways/new/", views.giveaway_create, name="giveaway_create"),
    path("giveaways/<int:pk>/", views.giveaway, name="giveaway"),
    path("giveaways/<int:pk>/counts/", views.giveaway_counts, name="giveaway_counts"),
    path("giveaways/<int:pk>/publish/", views.giveaway_publish, name="giveaway_publish"),
    path("giveaways/<int:pk>/freeze/", views.giveaway_freeze, name="giveaway_freeze"),
    path("giveaways/<int:pk>/draw/", views.giveaway_draw, name="giveaway_draw"),
    path("giveaways/<int:pk>/release/", views.giveaway_release, name="giveaway_release"),
    path("giveaways/<int:pk>/cancel/", views.giveaway_cancel, name="giveaway_cancel"),
    path("giveaways/<int:pk>/report/", views.giveaway_report, name="giveaway_report"),
    path("giveaways/<int:pk>/winners/", views.giveaway_winners, name="giveaway_winners"),
    # The public draw (no login) and its stand-alone verifier
    path("draws/<int:pk>/", views.giveaway_draw_public, name="draw"),
    path("draws/<int:pk>/draw.json", views.giveaway_draw_json, name="draw_json"),
    path("draws/draw.py", views.draw_verifier, name="draw_verifier"),
    # Members, on their phones
    path("m/", views.member_home, name="member_home"),
    path("m/giveaways/<int:pk>/", views.member_giveaway, name="member_giveaway"),
    path("m/claims/<int:pk>/", views.member_claim, name="member_claim"),
    path("m/claims/<int:pk>/cancel/", views.member_claim_cancel, name="member_claim_cancel"),
]
