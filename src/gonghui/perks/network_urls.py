"""Pages of the card network (cards, merchants, offers, the counter); included into the
``perks`` namespace by ``perks/urls.py``."""

from django.urls import path

from gonghui.perks import network_views as views

urlpatterns = [
    # Union staff: cards
    path("cards/", views.card_list, name="card_list"),
    path("cards/issue/", views.card_issue, name="card_issue"),
    path("cards/import/", views.cards_import, name="cards_import"),
    path("cards/import/template.xlsx", views.cards_template, name="cards_template"),
    path("cards/import/errors.xlsx", views.cards_errors, name="cards_errors"),
    path("cards/<int:pk>/", views.card_detail, name="card_detail"),
    *[
        path(
            f"cards/<int:pk>/{action}/",
            views.card_action,
            {"action": action},
            name=f"card_{action}",
        )
        for action in ("suspend", "resume", "cancel", "reissue")
    ],
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
    path("m/card/", views.member_card, name="member_card"),
    path("m/card/qr/", views.member_card_qr, name="member_card_qr"),
    path("m/offers/", views.member_offers, name="member_offers"),
    # A merchant's counter account
    path("counter/", views.counter, name="counter"),
    path("counter/pickup/", views.counter_pickup, name="counter_pickup"),
]
