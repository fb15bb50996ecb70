"""accounts pages; included into the ``funds`` namespace."""

urlpatterns: list = []
