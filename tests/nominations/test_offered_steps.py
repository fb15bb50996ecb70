"""Issue 20: a nominee's page offers only the review steps its state leads to, to the posts
that may take them where they are taken (the first review at the quota node, the second
and the approval at the organising union); the campaign's batch form only the steps the
viewer may take in that campaign; the final list only to its approvers."""

import re

import pytest

from gonghui.nominations import services
from tests.factories import PASSWORD
from tests.nominations.conftest import at, nominate

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="(\w+)"')


def offered(client, url: str) -> list[str]:
    page = client.get(url).content.decode()
    form = re.search(r'<select name="action"[^>]*>(.*?)</select>', page, re.S)
    return OPTION.findall(form.group(1)) if form else []


@pytest.fixture
def noticed(clock, users, tree, campaign):
    """赵郁 in the first notice, which has closed."""
    zhao = nominate(users, tree, campaign, "赵郁")
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[zhao]
    )
    clock.move_to(at(2025, 10, 9, 10))
    return zhao


def login(client, user):
    client.login(username=user.username, password=PASSWORD)


def test_the_first_review_is_offered_to_the_quota_node(client, users, noticed):
    page = f"/nominations/n/{noticed.pk}/"
    login(client, users.cy)  # Chaoyang: the quota node
    assert offered(client, page) == ["first_pass", "first_reject"]
    login(client, users.admin)  # the city reviews anywhere
    assert offered(client, page) == ["first_pass", "first_reject"]
    login(client, users.cy_grass)  # the nominating union: no review at all
    assert offered(client, page) == []
    assert "办理</button>" not in client.get(page).content.decode()


def test_after_the_first_review_only_the_organiser_is_offered_the_next(
    client, clock, users, tree, campaign, noticed
):
    services.nominations_advance(actor=users.cy, nominations=[noticed], action="first_pass")
    page = f"/nominations/n/{noticed.pk}/"
    login(client, users.cy)
    assert offered(client, page) == []  # the second notice is the city's to publish first
    services.node_list_submit(actor=users.cy, campaign=campaign, org_unit=tree.chaoyang)
    services.notice_publish(
        actor=users.admin, campaign=campaign, stage="second", nominations=[noticed]
    )
    clock.move_to(at(2025, 10, 31, 10))
    login(client, users.admin)
    assert offered(client, page) == ["second_pass", "second_reject"]
    login(client, users.cy)  # Chaoyang cannot take the city's second review
    assert offered(client, page) == []


def test_an_offered_step_is_taken(client, users, noticed):
    """What the page offers, the service takes (no "状态下不能", no "须由")."""
    login(client, users.cy)
    first, *_ = offered(client, f"/nominations/n/{noticed.pk}/")
    response = client.post(
        f"/nominations/{noticed.campaign_id}/advance/",
        {"ids": noticed.pk, "action": first, "opinion": "材料齐全", "next": "/"},
        follow=True,
    )
    page = response.content.decode()
    assert "状态下不能" not in page and "须由" not in page
    noticed.refresh_from_db()
    assert noticed.state == "first_passed"


def test_the_campaigns_batch_form_offers_the_viewers_steps(client, users, campaign, noticed):
    page = f"/nominations/{campaign.pk}/"
    login(client, users.cy)  # a district under a city campaign: the first review only
    assert offered(client, page) == ["first_pass", "first_reject"]
    login(client, users.admin)
    assert offered(client, page) == [
        "first_pass",
        "first_reject",
        "second_pass",
        "second_reject",
        "approve",
        "final_reject",
    ]
    login(client, users.cy_grass)
    assert offered(client, page) == []


def test_the_final_list_is_offered_to_its_approvers_only(client, users, campaign):
    page = f"/nominations/{campaign.pk}/"
    final = f"/nominations/{campaign.pk}/final/"
    login(client, users.admin)
    assert final in client.get(page).content.decode()
    assert client.post(final).status_code == 302  # to the export's job page
    for user in (users.cy, users.cy_grass):
        login(client, user)
        assert final not in client.get(page).content.decode()
        assert client.post(final).status_code == 404
