"""Issue 20: a signed-in user who mistypes an address, follows a stale link or presses what
their post may not do gets the site's own page in Chinese saying what to do next, also with
debug on (never Django's list of every URL pattern, never a traceback); /api/ stays JSON."""

import pytest

from tests.factories import make_person

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.web.refusal_urls")]

DEBUG_404 = ("URLconf", "Page not found", "Using the URLconf", "Raised by", "Traceback")


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def friendly(response, status: int) -> str:
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert not [s for s in DEBUG_404 if s in page], page[:500]
    assert "返回工作台" in page or "返回首页" in page
    return page


def test_an_unknown_address_is_the_friendly_404(client, users, debug):
    client.force_login(users.cy)
    page = friendly(client.get("/no-such-page/"), 404)
    assert "记录不存在或无权访问" in page and "请核对地址" in page
    assert "系统管理员" in page  # whom to ask


def test_a_record_outside_scope_is_the_friendly_404(client, users, tree, debug):
    haidian = make_person(tree.hd_grass, "钱学")
    client.force_login(users.cy)
    page = friendly(client.get(f"/people/{haidian.pk}/"), 404)
    assert "不在您的数据范围内" in page and "钱学" not in page
    client.force_login(users.hd)  # the same page opens where it is in scope
    assert client.get(f"/people/{haidian.pk}/").status_code == 200


@pytest.mark.parametrize("url", ["/refuse/http404/", "/refuse/not-found/", "/refuse/voting-pass/"])
def test_a_view_that_finds_nothing_is_the_friendly_404(client, users, debug, url):
    client.force_login(users.cy)
    page = friendly(client.get(url), 404)
    assert "No Person matches" not in page  # Django's English reason is not shown
    if url == "/refuse/voting-pass/":
        assert "投票凭证无效或已过期" in page  # the view's own reason is


@pytest.mark.parametrize(
    ("url", "reason"),
    [("/refuse/permission/", None), ("/refuse/forbidden/", "只有评选活动的主办工会可以发布公示")],
)
def test_a_refused_action_is_the_friendly_403(client, users, debug, url, reason):
    client.force_login(users.cy)
    page = friendly(client.get(url), 403)
    assert "没有执行此操作的权限" in page and "授予相应权限" in page
    assert "not allowed" not in page
    if reason:
        assert reason in page


def test_a_missing_slash_is_still_added(client, users, debug):
    client.force_login(users.cy)
    response = client.get("/people")
    assert response.status_code == 301 and response["Location"] == "/people/"


def test_signed_out_visitors_are_offered_to_sign_in(client, db, debug):
    page = friendly(client.get("/no-such-page/"), 404)
    assert "请先<a" in page and "/login/?next=/no-such-page/" in page and "返回首页" in page


def test_the_api_still_answers_json(client, users, debug):
    client.force_login(users.cy)
    response = client.get("/api/v1/no-such-operation")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
