"""The wall screen's display tokens: made and revoked by the city's staff, stored hashed,
bound to a node; a token opens only that node's wall screen and its data, and is refused
everywhere else (the API, any page, a session); revoked, expired or forged: a message."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.dashboards.models import DisplayToken
from gonghui.dashboards.refresh import refresh
from gonghui.dashboards.services import display_token_create, display_token_revoke


@pytest.fixture
def screen(honoured, users, tree):
    refresh()
    token, raw = display_token_create(
        actor=users.admin, name="朝阳区工人文化宫大屏", org_unit=tree.chaoyang
    )
    return token, raw


def test_only_the_hash_is_stored(screen):
    token, raw = screen
    assert token.token_hash == DisplayToken.hash(raw) != raw
    assert raw not in str(DisplayToken.objects.values_list().get(pk=token.pk))


def test_the_wall_shows_the_nodes_subtree_only(client, screen, tree):
    _, raw = screen
    page = client.get(f"/screen/{raw}/")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    html = page.content.decode()
    assert "朝阳区总工会 · 劳模工匠数据大屏" in html
    tiles = {t["label"]: t["value"] for t in page.context["tiles"]}
    assert tiles["荣誉授予"] == "4 人次"
    assert "海淀" not in html
    # Consenting people of the subtree only (武润泽 did not consent; 曾志伟 is Haidian's).
    assert [p["name"] for p in page.context["people"]] == ["单田芳", "赵郁"]
    assert "placeholder" in html  # no portrait stored: the placeholder
    assert not page.cookies.get("sessionid")
    data = client.get(f"/screen/{raw}/data").json()
    assert {t["label"]: t["value"] for t in data["tiles"]}["荣誉授予"] == "4 人次"
    assert {c["id"] for c in data["charts"]} == {
        "leader_awards_year",
        "leader_awards_child",
        "leader_funds_child",
    }


def test_the_token_opens_nothing_else(client, screen):
    _, raw = screen
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/registry/people", **bearer).status_code == 401
    assert client.get("/api/v1/orgs/me", **bearer).status_code == 401
    for url in ("/dashboards/", "/", "/registry/"):
        response = client.get(url, **bearer)
        assert response.status_code == 302 and "/login" in response["Location"], url
        response = client.get(f"{url}?token={raw}")
        assert response.status_code == 302 and "/login" in response["Location"], url
    # The wall's own address under another name, or another page under the token's.
    assert client.get(f"/screen/{raw}/registry/").status_code == 404
    assert client.get(f"/dashboards/registry/?node=1&token={raw}").status_code == 302


@pytest.mark.parametrize("raw", ["nothing", "gd_" + "x" * 43, "gh_" + "x" * 43, "gd_" + "y" * 300])
def test_forged_tokens_get_a_message(client, screen, raw):
    page = client.get(f"/screen/{raw}/")
    assert page.status_code == 404
    assert "展示令牌无效、已吊销或已过期" in page.content.decode()
    assert client.get(f"/screen/{raw}/data").json() == {"error": "展示令牌无效、已吊销或已过期"}


def test_a_revoked_token_stops(client, screen, users):
    token, raw = screen
    display_token_revoke(actor=users.admin, token_id=token.pk)
    assert client.get(f"/screen/{raw}/").status_code == 404
    assert client.get(f"/screen/{raw}/data").status_code == 404


def test_an_expired_token_stops(client, honoured, users, tree):
    refresh()
    token, raw = display_token_create(
        actor=users.admin,
        name="临时展览",
        org_unit=tree.city,
        expires_at=timezone.now() + timedelta(hours=2),
    )
    assert client.get(f"/screen/{raw}/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert client.get(f"/screen/{raw}/").status_code == 404
        assert client.get(f"/screen/{raw}/data").status_code == 404


def test_only_the_citys_staff_make_and_revoke_tokens(client, screen, users, tree):
    token, _ = screen
    for user in (users.cy, users.cy_grass, users.auditor, users.nopost):
        with pytest.raises(NotFound):
            display_token_create(actor=user, name="区大屏", org_unit=tree.chaoyang)
        with pytest.raises(NotFound):
            display_token_revoke(actor=user, token_id=token.pk)
        client.force_login(user)
        assert client.get("/dashboards/screens/").status_code == 404
        response = client.post(f"/dashboards/screens/{token.pk}/revoke/")
        assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_screens_page_makes_and_revokes(client, honoured, users, tree):
    client.force_login(users.admin)
    response = client.post(
        "/dashboards/screens/", {"name": "市总一楼大厅", "org_unit": tree.city.pk, "expires_at": ""}
    )
    assert response.status_code == 200
    wall = response.context["wall_path"]
    assert "/screen/gd_" in wall and response["Cache-Control"] == "no-store"
    token = DisplayToken.objects.get(name="市总一楼大厅")
    response = client.post(f"/dashboards/screens/{token.pk}/revoke/", follow=True)
    assert "已吊销展示令牌" in response.content.decode()
    again = client.post(f"/dashboards/screens/{token.pk}/revoke/", follow=True)
    assert "已于之前吊销" in again.content.decode()
    # A unit below the districts is not offered (a street's children are companies, where a
    # figure on a public screen can point at one worker); a bad expiry is refused next to
    # its field.
    for unit in (tree.cy_street, tree.cy_grass):
        response = client.post(
            "/dashboards/screens/", {"name": "基层", "org_unit": unit.pk, "expires_at": ""}
        )
        assert "org_unit" in response.context["form"].errors
    with pytest.raises(ValidationFailed):
        display_token_create(
            actor=users.admin,
            name="过去",
            org_unit=tree.city,
            expires_at=timezone.now() - timedelta(days=1),
        )
