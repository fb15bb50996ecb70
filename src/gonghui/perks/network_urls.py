"""Pages of the card network (cards, merchants, offers, the counter)."""

urlpatterns = []
