"""`gonghui demo`'s member services: cards, 密云's service-card merchants and 亦庄's partner plan,
the counter account, and 密云's three giveaways (a finished first-come one, a drawn lottery,
one opening tomorrow), each with a verifiable audit stream."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from gonghui.audit.services import verify_stream
from gonghui.common.demo import DEMO_PASSWORD
from gonghui.common.workdays import SHANGHAI, today
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Membership, Person
from gonghui.perks.counter.services import pickup_accept
from gonghui.perks.giveaways import claims, draw, selectors
from gonghui.perks.models import Card, Claim, Giveaway, Merchant, MerchantStaff, Offer
from tests.demo import demo_built

CARD_CATEGORIES = {"beauty", "car", "housekeeping", "shopping", "cinema", "medical"}
PARTNER_CATEGORIES = {"health", "living", "culture", "food"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo for the module (it takes seconds)."""
    with demo_built(django_db_blocker, people=1000):  # the size tests/web/test_demo.py builds
        yield


@dataclass
class Giveaways:
    """密云's three: the finished first-come one, the drawn lottery, the one opening tomorrow."""

    fcfs: Giveaway
    lottery: Giveaway
    coming: Giveaway


@pytest.fixture
def giveaways(demo, db):
    now = timezone.now()
    fcfs, lottery, coming = [], [], []
    for g in Giveaway.objects.order_by("opens_at"):
        if g.opens_at > now:
            coming.append(g)
        elif g.mode == Giveaway.Mode.LOTTERY:
            lottery.append(g)
        else:
            fcfs.append(g)
    assert len(fcfs) == len(lottery) == len(coming) == 1
    return Giveaways(fcfs=fcfs[0], lottery=lottery[0], coming=coming[0])


def _member():
    return Person.objects.get(user__username="huiyuan")


def test_members_hold_cards_but_a_few(demo, db):
    members = Membership.objects.filter(status=Membership.Status.ACTIVE)
    without = members.exclude(person__cards__status__in=["active", "suspended"])
    assert members.count() >= 1000
    assert 1 <= without.count() <= 5


def test_one_card_is_suspended(demo, db):
    assert Card.objects.filter(status=Card.Status.SUSPENDED).count() == 1


def test_one_card_was_reported_lost_and_reissued(demo, db):
    lost = Card.objects.get(status=Card.Status.LOST)
    assert lost.replaced_by.status == Card.Status.ACTIVE
    assert lost.replaced_by.person_id == lost.person_id


def test_the_member_login_has_an_active_card_in_miyun(demo, db):
    person = _member()
    assert person.user.check_password(DEMO_PASSWORD)
    assert not person.user.posts.exists()  # lands on 我的服务
    card = person.cards.get(status=Card.Status.ACTIVE)
    assert OrgUnit.objects.get(code="110118").contains(card.org_unit)


def test_both_plans_with_their_categories_shops_and_current_offers(demo, db):
    miyun, yizhuang = OrgUnit.objects.get(code="110118"), OrgUnit.objects.get(code="JKQ")
    day = today()
    for plan, district, categories, at_least in (
        (Merchant.Plan.CARD, miyun, CARD_CATEGORIES, 8),
        (Merchant.Plan.PARTNER, yizhuang, PARTNER_CATEGORIES, 6),
    ):
        merchants = Merchant.objects.filter(plan=plan)
        assert merchants.count() >= at_least
        assert set(merchants.values_list("category", flat=True)) == categories
        for merchant in merchants:
            assert merchant.org_unit == district
            assert merchant.valid_from <= day <= merchant.valid_until
            assert 1 <= merchant.locations.count() <= 2
            assert set(merchant.locations.values_list("district", flat=True)) == {district.pk}
            current = Offer.objects.filter(
                merchant=merchant, valid_from__lte=day, valid_until__gte=day
            )
            assert 1 <= current.count() <= 2


def test_rose_garden_has_a_counter_account(demo, db):
    staff = MerchantStaff.objects.select_related("user", "merchant").get(
        user__username="rose_counter"
    )
    assert staff.merchant.name == "玫瑰情园"
    assert staff.user.check_password(DEMO_PASSWORD)
    assert set(staff.merchant.locations.values_list("name", flat=True)) >= {"南门售票处"}


def test_the_finished_first_come_giveaway_sold_out_and_is_being_picked_up(giveaways):
    g = giveaways.fcfs
    now = timezone.now()
    assert g.status == Giveaway.Status.PUBLISHED and g.closes_at < now
    assert g.taken == g.stock > 0
    statuses = list(g.claims.values_list("status", flat=True))
    held = statuses.count(Claim.Status.WON) + statuses.count(Claim.Status.PICKED_UP)
    assert held == g.stock
    assert statuses.count(Claim.Status.PICKED_UP) > 0
    assert statuses.count(Claim.Status.CANCELLED) == 1  # given back: the waitlist's first got it
    assert statuses.count(Claim.Status.WAITING) >= 1
    assert g.pickup_from < now < g.pickup_until


def test_the_lottery_was_drawn_and_its_publication_verifies(giveaways):
    g = giveaways.lottery
    assert g.status == Giveaway.Status.DRAWN
    assert g.opens_at < g.closes_at <= g.frozen_at <= g.drawn_at < g.pickup_from
    assert g.created_at < g.opens_at  # published (its seed committed) before registration
    assert g.public_value_source and g.public_value
    assert draw.verify(selectors.draw_document(g)) == []
    assert g.claims.filter(status=Claim.Status.PICKED_UP).exists()
    assert g.claims.filter(status=Claim.Status.WAITING).exists()
    assert g.taken == g.stock


def test_a_giveaway_opens_tomorrow_at_ten(giveaways):
    g = giveaways.coming
    assert g.status == Giveaway.Status.PUBLISHED
    assert g.mode == Giveaway.Mode.FCFS
    assert g.opens_at == datetime.combine(today() + timedelta(days=1), time(10), tzinfo=SHANGHAI)
    assert not g.claims.exists()


def test_the_finished_giveaways_claims_are_sealed(giveaways):
    for g in (giveaways.fcfs, giveaways.lottery):
        assert g.sealed_through == g.claims.aggregate(last=Max("pk"))["last"]


def test_every_giveaway_stream_verifies(giveaways):
    for g in (giveaways.fcfs, giveaways.lottery, giveaways.coming):
        report = verify_stream(g.stream)
        assert report.ok, report.problems


def test_a_visitor_can_pick_up_the_member_logins_code(giveaways):
    """The member login's 孝亲枕 code is accepted at the counter now."""
    person = _member()
    code = giveaways.fcfs.claims.get(person=person, status=Claim.Status.WON).code
    counter = get_user_model().objects.get(username="rose_counter")
    assert pickup_accept(actor=counter, code=code).status == Claim.Status.PICKED_UP


def test_a_visitor_can_claim_once_the_coming_giveaway_opens(giveaways):
    """The coming giveaway refuses the member login before its opening and takes the claim
    after it."""
    person = _member()
    g = giveaways.coming
    early = claims.claim(person_id=person.pk, giveaway_id=g.pk, key="visitor-key-1")
    assert early.code == "not_open"
    answer = claims.claim(
        person_id=person.pk,
        giveaway_id=g.pk,
        key="visitor-key-2",
        now=g.opens_at + timedelta(seconds=1),
    )
    assert answer.code == "claimed"
