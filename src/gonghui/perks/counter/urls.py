"""The merchant's counter page; included into the ``perks`` namespace by ``perks/urls.py``."""

from django.urls import path

from gonghui.perks.counter import views

urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("counter/pickup/", views.counter_pickup, name="counter_pickup"),
]
