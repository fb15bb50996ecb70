"""What the API says about itself and what it accepts: every answer under /api/ is JSON,
request bodies are strict (JSON's own types, known fields, JSON only), enum-like query
parameters are checked, and the OpenAPI document names each schema once."""

import pytest

pytestmark = pytest.mark.django_db


# --- Every answer is JSON ------------------------------------------------------------------------


def assert_json_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/no-such-thing"),
        ("get", "/api/"),
        ("post", "/api/v1/perks/giveaways/-1/claim"),  # no int converter match
        ("post", "/api/v1/perks/giveaways/abc/claim"),
        ("get", "/api/v1/orgs/abc"),
        ("get", "/api/v1/people/99999999999999999999999"),
    ],
)
def test_unknown_paths_and_unmatched_parameters_answer_json_404(
    client, users, settings, debug, method, url
):
    settings.DEBUG = debug
    client.force_login(users.admin)
    assert_json_error(getattr(client, method)(url), 404, "not_found")


def test_a_method_an_operation_lacks_answers_json_405(client, users):
    client.force_login(users.admin)
    response = client.put("/api/v1/orgs/me", "{}", content_type="application/json")
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("debug", [False, True])
def test_an_uncaught_error_answers_json_500_without_a_traceback(
    client, users, settings, monkeypatch, debug
):
    from gonghui.orgs import selectors

    def broken(**kwargs):
        raise RuntimeError("secret detail 110105194912310021")

    settings.DEBUG = debug
    monkeypatch.setattr(selectors, "unit_list", broken)
    client.raise_request_exception = False
    client.force_login(users.admin)

    response = client.get("/api/v1/orgs/")

    assert_json_error(response, 500, "server_error")
    assert b"secret detail" not in response.content and b"Traceback" not in response.content


def test_pages_outside_the_api_keep_their_html_404(client, users):
    client.force_login(users.admin)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
