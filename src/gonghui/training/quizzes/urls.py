"""题库与现场答题: pages."""

urlpatterns: list = []
