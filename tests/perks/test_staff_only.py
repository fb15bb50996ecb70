"""What only union staff reach, in their scope: the cards' and the merchants' pages and API.
A merchant's counter account, a member and a login without a post find none of them; a
bad filter lists nothing; Haidian's staff reach nothing of Chaoyang's."""

import pytest
from django.contrib.auth import get_user_model

from gonghui.perks.models import Card
from tests.factories import PASSWORD
from tests.perks.conftest import login, post_json

STAFF_PAGES = [
    "/cards/",
    "/cards/issue/",
    "/cards/import/",
    "/cards/import/template.xlsx",
    "/cards/import/errors.xlsx",
    "/merchants/",
    "/merchants/new/",
]


def test_merchants_members_and_strangers_find_no_staff_pages(client, shop, cards, people):
    pages = [
        *STAFF_PAGES,
        f"/cards/{cards.zhao.pk}/",
        f"/merchants/{shop.merchant.pk}/",
        f"/merchants/{shop.merchant.pk}/edit/",
    ]
    for username in ("shop1", "zhaoyu", "nopost"):
        login(client, username)
        for url in pages:
            assert client.get(url).status_code == 404, (username, url)
        assert client.post(f"/cards/{cards.zhao.pk}/suspend/", {"reason": "x"}).status_code == 404
    client.logout()
    assert client.get("/cards/").status_code == 302  # to the login page
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE


@pytest.mark.parametrize(
    ("username", "url", "field", "unlisted"),
    [
        ("admin_t", "/cards/?q=钱&status=x", "status", "8610"),  # no card number
        ("cy_staff", "/merchants/?category=car&district=abc", "district", "洁亮洗车"),
        ("zhaoyu", "/m/offers/?category=car&district=0", "district", "洁亮洗车"),
    ],
)
def test_a_bad_filter_is_named_and_lists_nothing(
    client, shop, cards, username, url, field, unlisted
):
    """It used to drop every filter and list everything in scope. The valid filters alone
    would list the row (the car wash is in the car category), so only the bad one hides it."""
    login(client, username)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and unlisted not in html.split("</form>")[-1]  # the rows
    assert field in page.context["filters"].errors and "有效的选项" in html
    assert f'<div class="field error"><label for="id_{field}">' in html  # next to the field


# Every page that reads or writes one card or one merchant, as Haidian's staff would try it
# on Chaoyang's: (method, url, body).
CHAOYANG_PAGES = [
    ("get", "/cards/{card}/", None),
    ("post", "/cards/{card}/suspend/", {"reason": "越权"}),
    ("post", "/cards/{card}/resume/", {"reason": "越权"}),
    ("post", "/cards/{card}/cancel/", {"reason": "越权"}),
    ("post", "/cards/{card}/reissue/", {"reason": "越权"}),
    ("get", "/merchants/{merchant}/", None),
    ("get", "/merchants/{merchant}/edit/", None),
    (
        "post",
        "/merchants/{merchant}/edit/",
        {
            "name": "越权",
            "category": "car",
            "plan": "card",
            "discount": "免费",
            "valid_from": "2025-01-01",
            "valid_until": "2025-12-31",
        },
    ),
    (
        "post",
        "/merchants/{merchant}/locations/new/",
        {"name": "越权", "address": "x", "district": "{hd}"},
    ),
    (
        "post",
        "/merchants/{merchant}/offers/new/",
        {
            "title": "越权",
            "discount": "免费",
            "valid_from": "2025-06-01",
            "valid_until": "2025-06-30",
        },
    ),
    ("get", "/merchants/{merchant}/offers/{offer}/edit/", None),
    ("post", "/merchants/{merchant}/staff/new/", {"username": "intruder", "password": PASSWORD}),
]


@pytest.mark.parametrize(("method", "url", "body"), CHAOYANG_PAGES)
def test_haidian_staff_reach_nothing_of_chaoyang(client, shop, cards, tree, method, url, body):
    ids = {
        "card": cards.zhao.pk,
        "merchant": shop.merchant.pk,
        "offer": shop.merchant.offers.first().pk,
        "hd": tree.haidian.pk,
    }
    login(client, "hd_staff")
    data = {k: str(v).format(**ids) for k, v in body.items()} if body else None
    response = getattr(client, method)(url.format(**ids), data)
    assert response.status_code == 404
    text = response.content.decode()
    assert "赵郁" not in text and cards.zhao.number not in text and "洁亮洗车" not in text
    assert Card.objects.count() == 2 and Card.objects.filter(status="active").count() == 2
    shop.merchant.refresh_from_db()
    assert shop.merchant.name == "洁亮洗车" and shop.merchant.locations.count() == 1
    assert shop.merchant.offers.count() == 2 and shop.merchant.staff.count() == 1
    assert not get_user_model().objects.filter(username="intruder").exists()


def test_merchants_and_members_cannot_use_the_cards_api(client, shop, cards):
    for username in ("shop1", "zhaoyu", "nopost"):
        login(client, username)
        assert client.get("/api/v1/cards").status_code == 404
        assert client.get(f"/api/v1/cards/{cards.zhao.pk}").status_code == 404
        assert client.get("/api/v1/cards?q=8610").status_code == 404
        assert (
            post_json(client, "/api/v1/cards", {"person_id": cards.zhao.person_id}).status_code
            == 404
        )
        assert (
            post_json(client, f"/api/v1/cards/{cards.zhao.pk}/cancel", {"reason": "x"}).status_code
            == 404
        )
        assert client.get("/api/v1/merchants").status_code == 404
    client.logout()
    assert client.get("/api/v1/cards").status_code == 401
