import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gonghui.orgs import services
from gonghui.orgs.models import ApiToken


@pytest.mark.django_db
def test_a_token_acts_for_its_owner_within_the_owners_scope(client, tree, users):
    token, raw = services.token_create(actor=users.cy, name="区工会数据对接")
    assert ApiToken.objects.get(pk=token.pk).token_hash != raw  # only the hash is stored
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.get("/api/v1/orgs/me", **auth)
    assert response.status_code == 200 and response.json()["username"] == "cy_staff"
    listing = client.get("/api/v1/orgs/?level=street", **auth).json()
    assert {item["code"] for item in listing["items"]} == {"CY-S1"}
    assert client.get(f"/api/v1/orgs/{tree.haidian.pk}", **auth).status_code == 404


@pytest.mark.django_db
def test_a_revoked_or_forged_token_is_refused(client, users):
    token, raw = services.token_create(actor=users.cy, name="区工会数据对接")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    services.token_revoke(actor=users.cy, token_id=token.pk)
    assert client.get("/api/v1/orgs/me", **auth).status_code == 401
    assert client.get("/api/v1/orgs/me", HTTP_AUTHORIZATION="Bearer gh_forged").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, url, body",
    [
        ("post", "/api/v1/orgs/", "{"),
        ("post", "/api/v1/orgs/", json.dumps({"parent_id": "abc"})),
        (
            "post",
            "/api/v1/orgs/",
            json.dumps({"parent_id": 1, "code": "", "name": "", "level": "x"}),
        ),
        ("patch", "/api/v1/orgs/1", json.dumps({"name": "x" * 500})),
        ("get", "/api/v1/orgs/?page=abc", None),
        ("post", "/api/v1/people/lookup", json.dumps({"id_number": "x" * 1000})),
        ("post", "/api/v1/people/lookup", json.dumps({"id_number": "not-an-id"})),
        ("post", "/api/v1/orgs/1/move", json.dumps({"parent_id": 999999})),
    ],
)
def test_bad_input_gets_a_json_error_never_a_500(client, users, method, url, body):
    client.force_login(users.admin)
    response = (
        getattr(client, method)(url, body or "", content_type="application/json")
        if body
        else getattr(client, method)(url)
    )
    assert 400 <= response.status_code < 500, response.content
    payload = response.json()
    assert payload["message"] or payload.get("detail")


@pytest.mark.django_db
def test_validation_errors_name_fields(client, tree, users):
    client.force_login(users.admin)
    response = client.post(
        "/api/v1/orgs/",
        json.dumps({"parent_id": tree.city.pk, "code": "", "name": "", "level": "district"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"code", "name"}
    response = client.post(
        f"/api/v1/orgs/{tree.cy_street.pk}/move",
        json.dumps({"parent_id": 999999}),
        content_type="application/json",
    )
    assert response.status_code == 422 and "parent_id" in response.json()["fields"]


@pytest.mark.django_db
def test_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "工会平台 API"
    assert "/api/v1/people/lookup" in schema["paths"]


@pytest.mark.django_db
def test_operators_create_tokens_from_the_command_line(client, users):
    out = StringIO()
    call_command("token", "cy_staff", "--name", "对接", stdout=out)
    raw = out.getvalue().split()[0]
    assert client.get("/api/v1/orgs/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    with pytest.raises(CommandError, match="没有岗位"):
        call_command("token", "nopost", "--name", "x")
    with pytest.raises(CommandError, match="没有名为"):
        call_command("token", "ghost", "--name", "x")
