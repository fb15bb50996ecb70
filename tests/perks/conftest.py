"""Giveaway fixtures: members with cards in both districts, a venue, giveaways."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gonghui.people.models import Membership
from gonghui.perks.giveaways import claims
from gonghui.perks.models import Card, Giveaway, Location, Merchant
from tests.factories import make_person

BEIJING = ZoneInfo("Asia/Shanghai")
OPENING = datetime(2026, 4, 30, 10, 0, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _fresh_rules():
    """The hot path caches a giveaway's rules per process; each test starts without."""
    claims._RULES.clear()
    yield
    claims._RULES.clear()


def make_member(unit, name: str, n: int, *, card_status: str = "active") -> int:
    """A person with an active membership of ``unit`` and a card; returns the person id."""
    person = make_person(unit, name=name)
    Membership.objects.create(person=person, org_unit=unit, joined_on=date(2020, 1, 1))
    Card.objects.create(number=f"8610{n:012d}", person=person, org_unit=unit, status=card_status)
    return person.pk


@pytest.fixture
def venue(tree):
    merchant = Merchant.objects.create(
        name="玫瑰情园",
        category="shopping",
        discount="持卡会员门票八折",
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        org_unit=tree.chaoyang,
    )
    return Location.objects.create(
        merchant=merchant, name="南门售票处", address="密云区巨各庄镇", district=tree.chaoyang
    )


@pytest.fixture
def members(tree):
    """Six card holders in Chaoyang, two in Haidian, one Chaoyang member with a suspended card."""
    return type(
        "Members",
        (),
        {
            "cy": [make_member(tree.cy_grass, f"朝阳会员{i}", i) for i in range(6)],
            "hd": [make_member(tree.hd_grass, f"海淀会员{i}", 100 + i) for i in range(2)],
            "suspended": make_member(tree.cy_grass, "暂停卡会员", 200, card_status="suspended"),
        },
    )


def giveaway_for(users, venue, unit, *, mode="fcfs", stock=3, status="published", **extra):
    fields = {
        "title": "五一游园",
        "item": "玫瑰情园套票（一票三人）",
        "org_unit": unit,
        "mode": mode,
        "status": status,
        "stock": stock,
        "opens_at": OPENING,
        "closes_at": OPENING + timedelta(days=2),
        "pickup_from": OPENING + timedelta(days=3),
        "pickup_until": OPENING + timedelta(days=5),
        "pickup_location": venue,
        "created_by": users.cy,
    }
    return Giveaway.objects.create(**(fields | extra))


@pytest.fixture
def fcfs(users, venue, tree):
    return giveaway_for(users, venue, tree.chaoyang)
