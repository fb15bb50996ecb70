"""The giveaways list filtered by a node of the tree panel; a node outside scope lists
nothing."""

import pytest
from django.urls import reverse

from gonghui.orgs.panel import OUT_OF_SCOPE
from tests.perks.conftest import giveaway_for

pytestmark = pytest.mark.django_db


def test_giveaways_filter_by_a_node(client, users, tree, venue):
    city = giveaway_for(users, venue, tree.city)
    chaoyang = giveaway_for(users, venue, tree.chaoyang)
    street = giveaway_for(users, venue, tree.cy_street)
    client.force_login(users.admin)

    def listed(**query):
        return {g.pk for g in client.get(reverse("perks:giveaways"), query).context["page"]}

    assert listed() == {city.pk, chaoyang.pk, street.pk}
    assert listed(org=tree.chaoyang.pk) == {chaoyang.pk, street.pk}
    assert listed(org=tree.cy_street.pk, status="published") == {street.pk}
    assert listed(org=tree.haidian.pk) == set()
    client.force_login(users.cy)
    response = client.get(reverse("perks:giveaways"), {"org": tree.city.pk})
    assert OUT_OF_SCOPE in response.content.decode()
    assert list(response.context["page"]) == []
