"""Registration pages; included into the ``contests`` namespace by ``contests/urls.py``."""

from django.urls import path

from gonghui.contests.entry import views

urlpatterns = [
    # Anyone, on a phone (no login): register, and the entrant number
    path("contests/c/<int:pk>/join/", views.join, name="join"),
    path("contests/c/<int:pk>/join/done/", views.join_done, name="join_done"),
    # The organiser's staff: entrants, union nominations, closing registration
    path("contests/c/<int:pk>/entrants/", views.entrants, name="entrants"),
    path("contests/c/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("contests/c/<int:pk>/close/", views.registration_close, name="registration_close"),
    # The entrant's own
    path("m/contests/", views.my_entries, name="my_entries"),
    path("m/contests/entries/<int:pk>/", views.my_entry, name="my_entry"),
    path(
        "m/contests/entries/<int:pk>/withdraw/", views.my_entry_withdraw, name="my_entry_withdraw"
    ),
]
