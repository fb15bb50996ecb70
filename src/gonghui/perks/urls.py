"""Member services' pages (namespace ``perks``): each feature's own."""

from django.urls import include, path

app_name = "perks"
urlpatterns = [
    path("", include("gonghui.perks.giveaways.urls")),
    path("", include("gonghui.perks.cards.urls")),
    path("", include("gonghui.perks.merchants.urls")),
    path("", include("gonghui.perks.counter.urls")),
]
