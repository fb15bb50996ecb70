"""读书沙龙: pages."""

urlpatterns: list = []
