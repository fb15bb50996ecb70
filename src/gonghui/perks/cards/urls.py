"""Pages of the service cards; included into the ``perks`` namespace by ``perks/urls.py``."""

from django.urls import path

from gonghui.perks.cards import views

urlpatterns = [
    # Union staff
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
    # Members, on their phones
    path("m/card/", views.member_card, name="member_card"),
    path("m/card/qr/", views.member_card_qr, name="member_card_qr"),
]
