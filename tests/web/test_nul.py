"""A NUL character in a query string or a JSON body is refused (400) before any view reads
it: on PostgreSQL these pages and operations answered 500 ("PostgreSQL text fields cannot
contain NUL (0x00) bytes"), found by a crawl that added ``%00`` to every page's query."""

import json

import pytest

from gonghui.people.models import Person, Unit
from tests.factories import PASSWORD, make_person

QUERIES = [
    "/people/?q=%00",
    "/registry/units/?q=%00",
    "/giveaways/?q=%00",
    "/giveaways/?status=%00",
    "/cards/issue/?q=%00",
    "/notices/lookup/?ref=AB%00CD",
    "/api/v1/perks/giveaways?status=%00",
    "/api/v1/people/?q=a%00",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", QUERIES)
def test_a_nul_in_a_query_is_refused(client, users, url):
    client.login(username="admin_t", password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json()["code"] == "bad_request"
    else:
        assert "空字符" in response.content.decode()
    assert client.get(url.replace("%00", "")).status_code == 200


@pytest.mark.django_db
def test_a_nul_in_a_json_body_is_refused_and_nothing_is_written(client, tree, users):
    client.login(username="cy_staff", password=PASSWORD)
    people, units = Person.objects.count(), Unit.objects.count()
    for url, body in [
        ("/api/v1/registry/units", {"name": "朝阳\x00单位", "org_unit_id": tree.cy_grass.pk}),
        (
            "/api/v1/people/",
            {
                "org_unit_id": tree.cy_grass.pk,
                "name": "张\x00三",
                "gender": "M",
                "no_id_reason": "无",
            },
        ),
    ]:
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 400, url
        assert response.json()["code"] == "bad_request"
    assert (Person.objects.count(), Unit.objects.count()) == (people, units)


@pytest.mark.django_db
def test_text_that_merely_looks_like_an_escape_passes(client, tree, users):
    """Only a real NUL is refused: the six characters ``\\u0000`` are text like any other."""
    person = make_person(tree.cy_grass, "王五")
    client.login(username="cy_staff", password=PASSWORD)
    response = client.patch(
        f"/api/v1/people/{person.pk}",
        json.dumps({"no_id_reason": "档案\\u0000缺失"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.no_id_reason == "档案\\u0000缺失"
