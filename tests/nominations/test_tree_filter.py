"""The campaigns list filtered by a node of the tree panel: campaigns organised in its
subtree or giving a quota to a unit in it; a node outside scope lists nothing."""

import pytest
from django.urls import reverse

from gonghui.orgs.panel import OUT_OF_SCOPE

pytestmark = pytest.mark.django_db


def listed(client, **query):
    return {c.pk for c in client.get(reverse("nominations:campaigns"), query).context["page"]}


def test_campaigns_filter_by_a_node(client, users, tree, campaign):
    client.force_login(users.admin)
    assert listed(client) == {campaign.pk}
    assert listed(client, org=tree.chaoyang.pk) == {campaign.pk}  # a quota there
    assert listed(client, org=tree.city.pk) == {campaign.pk}  # organised there
    assert listed(client, org=tree.cy_street.pk) == set()


def test_a_district_cannot_filter_by_another(client, users, tree, campaign):
    client.force_login(users.cy)
    response = client.get(reverse("nominations:campaigns"), {"org": tree.haidian.pk})
    assert response.status_code == 200
    assert OUT_OF_SCOPE in response.content.decode()
    assert list(response.context["page"]) == []
