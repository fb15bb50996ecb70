"""A NUL character in a query string or a JSON body is refused before any view reads it: on
PostgreSQL these pages and operations answered 500 ("PostgreSQL text fields cannot contain
NUL (0x00) bytes"), found by a crawl that added ``%00`` to every page's query. A page
answers 400; the API 422, naming the parameter or field (every operation:
tests/test_api_contract.py)."""

import json
from urllib.parse import urlencode

import pytest

from gonghui.people.models import Person, Unit
from tests.factories import PASSWORD, make_person
from tests.test_crawl import routes

QUERIES = [
    "/people/?q=%00",
    "/registry/units/?q=%00",
    "/giveaways/?q=%00",
    "/giveaways/?status=%00",
    "/cards/issue/?q=%00",
    "/notices/lookup/?ref=AB%00CD",
]
API_QUERIES = [
    ("/api/v1/perks/giveaways?status=%00", "status"),
    ("/api/v1/people/?q=a%00", "q"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", QUERIES)
def test_a_nul_in_a_query_is_refused(client, users, url):
    client.login(username="admin_t", password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    assert client.get(url.replace("%00", "")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url, name", API_QUERIES)
def test_a_nul_in_an_api_query_is_refused_naming_it(client, users, url, name):
    client.login(username="admin_t", password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["fields"] == {name: "不能包含空字符（NUL）"}
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
        assert response.status_code == 422, url
        assert response.json()["fields"]["name"] == "不能包含空字符（NUL）"
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


# Every parameter name a page of the site reads from its query (forms and raw reads alike).
PAGE_PARAMETERS = [
    "q", "status", "state", "sort", "page", "ref", "replaces", "format", "level", "root",
    "actor_name", "action", "object_type", "object_id", "since", "until", "honour",
    "year_from", "year_to", "org_unit", "trade", "category", "plan", "district", "year",
    "code", "receipt",
]  # fmt: skip


@pytest.mark.django_db
def test_no_page_answers_an_error_for_a_nul_in_its_query(client, users):
    """Every page without a path parameter (the lists, searches and forms), as the city's
    administrator, with a NUL in each parameter a page reads: refused, never a 500."""
    client.login(username="admin_t", password=PASSWORD)
    query = urlencode({name: "a\x00" for name in PAGE_PARAMETERS})
    pages = [r for r in routes() if not r.params and not r.path.startswith(("api/", "admin/"))]
    for route in pages:
        response = client.get(f"/{route.path}?{query}")
        assert response.status_code < 500, route.path
    assert len(pages) >= 20


@pytest.mark.django_db
def test_the_people_search_refuses_a_nul_next_to_its_field_by_itself(client, users, settings):
    """/people/?q=%00 answered 500 on PostgreSQL: web/views.py read ``q`` raw. It goes
    through a form now, which refuses it next to the field, even without the middleware's
    net in front of it."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RefuseNulMiddleware")]
    client.login(username="admin_t", password=PASSWORD)
    response = client.get("/people/?q=a%00")
    assert response.status_code == 200
    assert "空字符" in response.content.decode()
    assert response.context["page"].paginator.count == 0
