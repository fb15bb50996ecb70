from gonghui.perks.network_urls import urlpatterns as network_urlpatterns

app_name = "perks"
urlpatterns = [*network_urlpatterns]
