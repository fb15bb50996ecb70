"""Pages of the partner merchants; included into the ``perks`` namespace by
``perks/urls.py``."""

from django.urls import path

from gonghui.perks.merchants import views

urlpatterns = [
    # Union staff: merchants, their shops, offers and counter accounts
    path("merchants/", views.merchant_list, name="merchant_list"),
    path("merchants/new/", views.merchant_create, name="merchant_create"),
    path("merchants/<int:pk>/", views.merchant_detail, name="merchant_detail"),
    path("merchants/<int:pk>/edit/", views.merchant_edit, name="merchant_edit"),
    path("merchants/<int:pk>/locations/new/", views.location_add, name="location_add"),
    path("merchants/<int:pk>/offers/new/", views.offer_add, name="offer_add"),
    path("merchants/<int:pk>/offers/<int:offer_pk>/edit/", views.offer_edit, name="offer_edit"),
    path("merchants/<int:pk>/staff/new/", views.merchant_staff_add, name="merchant_staff_add"),
    # Members, on their phones
    path("m/offers/", views.member_offers, name="member_offers"),
]
