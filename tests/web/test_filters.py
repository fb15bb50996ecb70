"""A list whose filter is invalid names the field and shows nothing, never every row."""

import re

import pytest

from gonghui.audit.services import record
from tests.factories import build_tree, seed_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    """The shared tree (tests/conftest.py), its units laid down without events: the audit
    page's tests here count the events on it."""
    return build_tree(seed_unit)


def _error_under(page: str, label: str) -> str:
    """The error shown in the filter field labelled ``label``."""
    field = re.search(
        rf'<div class="field error"><label[^>]*>{label}</label>.*?<ul class="errorlist"[^>]*>'
        r"<li>(.*?)</li>",
        page,
        re.DOTALL,
    )
    assert field, f"no error under {label}"
    return field.group(1)


@pytest.mark.parametrize(
    ("query", "label", "message"),
    [
        ("?since=2024-02-30", "起始日期", "输入一个有效的日期。"),
        ("?until=2024-13-01&actor_name=cy_staff", "截止日期", "输入一个有效的日期。"),
        ("?until=9999-12-31", "截止日期", "截止日期应在 1949 年至 2100 年之间"),
        ("?since=0001-01-01", "起始日期", "起始日期应在 1949 年至 2100 年之间"),
    ],
)
def test_a_bad_audit_filter_is_named_and_lists_nothing(client, users, query, label, message):
    record(actor=users.cy, action="people.create", org_unit_id=users.cy.posts.get().org_unit_id)
    client.force_login(users.auditor)
    assert len(client.get("/audit/").context["page"]) == 2  # the event and the login

    response = client.get(f"/audit/{query}")

    assert response.status_code == 200 and list(response.context["page"]) == []
    assert _error_under(response.content.decode(), label) == message


@pytest.mark.parametrize("query", ["?until=9999-12-31", "?since=0001-01-01"])
def test_the_api_refuses_a_day_out_of_range_naming_it(client, users, query):
    client.force_login(users.auditor)

    response = client.get(f"/api/v1/audit/events{query}")

    assert response.status_code == 422
    assert list(response.json()["fields"]) == [query[1:6]]


def test_the_first_and_last_days_are_accepted(client, users):
    client.force_login(users.auditor)  # recorded: one event today
    query = "?since=1949-01-01&until=2100-12-31"

    assert len(client.get(f"/audit/{query}").context["page"]) == 1
    assert client.get(f"/api/v1/audit/events{query}").json()["count"] == 1


@pytest.mark.parametrize(
    ("query", "label", "message"),
    [
        ("?level=bogus", "级别", "选择一个有效的选项。 bogus 不在可用的选项中。"),
        ("?root=abc", "上级组织", "上级组织应为组织ID"),
        ("?root=0", "上级组织", "上级组织应为组织ID"),
    ],
)
def test_a_bad_org_filter_is_named_and_lists_nothing(client, users, query, label, message):
    client.force_login(users.cy)
    assert len(client.get("/orgs/").context["page"]) > 1

    response = client.get(f"/orgs/{query}")

    assert response.status_code == 200 and list(response.context["page"]) == []
    assert _error_under(response.content.decode(), label) == message


def test_good_org_filters_still_filter(client, tree, users):
    client.force_login(users.cy)
    page = client.get(f"/orgs/?level=street&root={tree.chaoyang.pk}").context["page"]
    assert [u.code for u in page] == ["CY-S1"]
