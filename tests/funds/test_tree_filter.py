"""The funds applications list filtered by a node of the tree panel (its ``district``
parameter, now any node); a node outside scope lists nothing."""

import pytest
import time_machine
from django.urls import reverse

from gonghui.orgs.panel import OUT_OF_SCOPE
from tests.factories import make_member
from tests.funds.test_applications_pages import NOW, cert

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield


def test_applications_filter_by_a_node(client, users, tree, funds):
    mine = cert(make_member(tree.cy_grass, "赵郁", username="zhaoyu").user, funds.certificate)
    theirs = cert(
        make_member(tree.hd_grass, "钱多", username="qianduo").user,
        funds.certificate,
        number="HD-0001",
    )
    url = reverse("funds:applications", args=[funds.certificate.pk])
    client.force_login(users.admin)

    def listed(**query):
        return {a.pk for a in client.get(url, query).context["page"]}

    assert listed() == {mine.pk, theirs.pk}
    assert listed(district=tree.cy_street.pk) == {mine.pk}
    assert listed(district=tree.haidian.pk) == {theirs.pk}
    page = client.get(url, {"district": tree.cy_street.pk}).content.decode()
    assert "北京市总工会 / 朝阳区总工会 / 建外街道总工会</option>" in page  # kept by the form
    client.force_login(users.cy)
    response = client.get(url, {"district": tree.haidian.pk})
    assert OUT_OF_SCOPE in response.content.decode()
    assert list(response.context["page"]) == []
