"""Member services fixtures: for the giveaways, members with cards in both districts, a venue,
giveaways; for the cards, merchants and the counter, members of two unions, a car wash with
its counter account, and cards issued through the services."""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from gonghui.audit.models import AuditEvent
from gonghui.common.pii import id_check_digit
from gonghui.people.models import Membership, Person
from gonghui.perks.cards.services import card_issue
from gonghui.perks.merchants.services import merchant_staff_add
from gonghui.perks.models import Card, Giveaway, Location, Merchant
from tests.factories import (
    PASSWORD,
    VALID_IDS,
    make_location,
    make_merchant,
    make_offer,
    make_person,
)

BEIJING = ZoneInfo("Asia/Shanghai")
OPENING = datetime(2026, 4, 30, 10, 0, tzinfo=BEIJING)
NOON = datetime(2025, 6, 16, 12, 0, tzinfo=BEIJING)  # the cards' and merchants' day


# --- Giveaways ----------------------------------------------------------------------------


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


@dataclass
class Members:
    """Card holders by person id: six in Chaoyang, two in Haidian, and one Chaoyang member
    whose card is suspended."""

    cy: list[int]
    hd: list[int]
    suspended: int


@pytest.fixture
def members(tree):
    return Members(
        cy=[make_member(tree.cy_grass, f"朝阳会员{i}", i) for i in range(6)],
        hd=[make_member(tree.hd_grass, f"海淀会员{i}", 100 + i) for i in range(2)],
        suspended=make_member(tree.cy_grass, "暂停卡会员", 200, card_status="suspended"),
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


# --- Cards, merchants, the counter ----------------------------------------------------------


def an_id(n: int, birth: str = "19850315") -> str:
    """A valid resident ID (Chaoyang region code), distinct for each ``n``."""
    body = f"110105{birth}{n:03d}"
    return body + id_check_digit(body)


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def actions() -> list[str]:
    """The member services' events, as appended."""
    return list(
        AuditEvent.objects.filter(action__startswith="perks.")
        .order_by("id")  # as appended: PostgreSQL returns an unordered scan in any order
        .values_list("action", flat=True)
    )


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def member(unit, name, id_number, *, username=None, joined=True) -> Person:
    """A person of ``unit``, a member there unless ``joined`` is false, with a login if
    ``username`` is given; no card."""
    person = make_person(unit, name, id_number)
    if joined:
        Membership.objects.create(person=person, org_unit=unit, joined_on=date(2020, 1, 1))
    if username:
        person.user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        person.save(update_fields=["user"])
    return person


@dataclass
class People:
    """Members of a Chaoyang and a Haidian grassroots union, and one who never joined."""

    zhao: Person
    wu: Person
    qian: Person
    sun: Person


@pytest.fixture
def people(tree):
    return People(
        zhao=member(tree.cy_grass, "赵郁", VALID_IDS[0], username="zhaoyu"),
        wu=member(tree.cy_grass, "欧阳润泽", VALID_IDS[1]),
        qian=member(tree.hd_grass, "钱学", VALID_IDS[2], username="qianxue"),
        sun=member(tree.cy_grass, "孙明", VALID_IDS[3], joined=False),
    )


@dataclass
class Shop:
    """A merchant with one shop and the login of its counter account."""

    merchant: Merchant
    location: Location
    staff: object


@pytest.fixture
def shop(clock, tree, users):
    """A car wash signed by Chaoyang: a shop in Chaoyang, a current and an expired offer, and
    a counter account ``shop1``."""
    merchant = make_merchant(users.cy, tree.chaoyang, "洁亮洗车", "凭卡洗车8折")
    location = make_location(users.cy, merchant, "朝阳门店", "朝阳区建国路1号")
    make_offer(users.cy, merchant, "精洗套餐", "7折", date(2025, 6, 1), date(2025, 6, 30))
    make_offer(users.cy, merchant, "春季打蜡", "半价", date(2025, 3, 1), date(2025, 3, 31))
    staff = merchant_staff_add(
        actor=users.cy, merchant=merchant, username="shop1", password=PASSWORD
    )
    return Shop(merchant=merchant, location=location, staff=staff.user)


@dataclass
class Cards:
    """赵郁's card (Chaoyang) and 钱学's (Haidian)."""

    zhao: Card
    qian: Card


@pytest.fixture
def cards(people, users):
    return Cards(
        zhao=card_issue(actor=users.cy_grass, person=people.zhao),
        qian=card_issue(actor=users.hd, person=people.qian),
    )
