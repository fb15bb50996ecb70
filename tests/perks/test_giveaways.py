"""Giveaway set-up, the lottery from commitment to draw (re-checked by the stand-alone
verifier), cancel and the waitlist, pickups at the venue, releasing no-shows, sealing."""

import json
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from gonghui.audit.models import AuditEvent
from gonghui.audit.services import verify_stream
from gonghui.audit.verifier import batch_digest
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.perks.cards.services import card_cancel, card_reissue
from gonghui.perks.counter.services import pickup_accept
from gonghui.perks.giveaways import claims, draw, selectors, services
from gonghui.perks.giveaways.selectors import pickup_locations
from gonghui.perks.models import (
    Card,
    Claim,
    Giveaway,
    Hit,
    Location,
    Merchant,
    MerchantStaff,
    Message,
)
from tests.factories import make_user
from tests.perks.conftest import OPENING

pytestmark = pytest.mark.django_db
DRAW_PY = Path(draw.__file__)
LOTTERY_MD = Path(__file__).resolve().parents[2] / "docs" / "lottery.md"
# The public value as staff type it, and its canonical form (docs/lottery.md, rule 4): only
# the white space around it goes; inner spaces (two here), full-width digits stay.
TYPED_VALUE = "\u3000 5  8１\t\n"
PUBLIC_VALUE = "5  8１"


def press(person_id, giveaway, key=None, **extra):
    return claims.claim(
        person_id=person_id, giveaway_id=giveaway.pk, key=key or f"press-{person_id:08d}", **extra
    )


def create(actor, venue, unit, **extra):
    fields = {
        "org_unit": unit,
        "title": "重阳节孝亲枕",
        "item": "孝亲枕",
        "mode": "fcfs",
        "stock": 2,
        "opens_at": OPENING,
        "closes_at": OPENING + timedelta(days=1),
        "pickup_from": OPENING + timedelta(days=2),
        "pickup_until": OPENING + timedelta(days=4),
        "pickup_location": venue,
    }
    return services.giveaway_create(actor=actor, **(fields | extra))


# --- Set-up ---------------------------------------------------------------------------------


def test_create_checks_the_fields(users, venue, tree):
    with pytest.raises(ValidationFailed) as bad:
        create(users.cy, venue, tree.chaoyang, stock=0, closes_at=OPENING, per_member=11)
    assert set(bad.value.fields) >= {"stock", "closes_at", "per_member"}
    with pytest.raises(ValidationFailed) as early_pickup:
        create(users.cy, venue, tree.chaoyang, mode="lottery", pickup_from=OPENING)
    assert "pickup_from" in early_pickup.value.fields
    assert not Giveaway.objects.exists()


def test_create_needs_perks_manage_at_the_organising_union(users, venue, tree):
    with pytest.raises(NotFound):  # Haidian staff cannot organise in Chaoyang
        create(users.hd, venue, tree.chaoyang)
    with pytest.raises((NotFound, Forbidden)):  # grassroots staff may view, not manage
        create(users.cy_grass, venue, tree.cy_grass)
    assert not Giveaway.objects.exists()


def test_create_makes_a_draft_with_its_event(users, venue, tree):
    giveaway = create(users.cy, venue, tree.chaoyang)
    assert giveaway.status == "draft"
    assert AuditEvent.objects.filter(stream=giveaway.stream, action="perks.giveaway_create")


def test_create_refuses_a_stock_or_a_moment_the_columns_cannot_hold(users, venue, tree):
    # 10**20 overflowed SQLite's integer, 3·10**9 PostgreSQL's; year 1 overflowed the UTC
    # conversion on save: each was a 500.
    for stock in (10**20, 3_000_000_000, services.STOCK_MAX + 1):
        with pytest.raises(ValidationFailed) as refused:
            create(users.cy, venue, tree.chaoyang, stock=stock)
        assert refused.value.fields == {"stock": f"数量应为 1–{services.STOCK_MAX} 的整数"}
    ancient = OPENING.replace(year=1)
    with pytest.raises(ValidationFailed) as refused:
        create(users.cy, venue, tree.chaoyang, opens_at=ancient, pickup_from=ancient)
    assert refused.value.fields["opens_at"] == "开始时间应在 1949–2100 年之间"
    assert refused.value.fields["pickup_from"] == "领取开始应在 1949–2100 年之间"
    assert not Giveaway.objects.exists()
    assert create(users.cy, venue, tree.chaoyang, stock=services.STOCK_MAX).stock == 10**6


def test_publish_commits_a_lottery_seed_before_registration(users, venue, tree):
    with time_machine.travel(OPENING - timedelta(days=1)):
        lottery = create(users.cy, venue, tree.chaoyang, mode="lottery")
        services.giveaway_publish(actor=users.cy, giveaway=lottery)
    lottery.refresh_from_db()
    assert lottery.status == "published" and len(lottery.commitment) == 64
    assert lottery.seed == ""  # not revealed: kept encrypted until the draw
    assert lottery.commitment not in lottery.seed_sealed
    event = AuditEvent.objects.get(stream=lottery.stream, action="perks.giveaway_publish")
    assert lottery.commitment in event.body


def test_a_lottery_is_not_published_once_registration_has_opened(users, venue, tree):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        late = create(users.cy, venue, tree.chaoyang, mode="lottery")
        with pytest.raises(Conflict, match="登记开始前发布"):
            services.giveaway_publish(actor=users.cy, giveaway=late)


# --- The lottery ----------------------------------------------------------------------------


@pytest.fixture
def drawn(users, venue, tree, members, django_capture_on_commit_callbacks):
    """A lottery of 3 items, six Chaoyang members registered, frozen and drawn."""
    with time_machine.travel(OPENING - timedelta(days=1)):
        lottery = create(
            users.cy,
            venue,
            tree.chaoyang,
            mode="lottery",
            stock=3,
            public_value_source="2026年5月1日福彩3D开奖号码",
        )
        services.giveaway_publish(actor=users.cy, giveaway=lottery)
    with time_machine.travel(OPENING + timedelta(hours=1)):
        receipts = [press(p, lottery).claim["receipt"] for p in members.cy]
        # One withdraws before the freeze: not in the frozen list, nor in the draw.
        withdrawn = Claim.objects.get(giveaway=lottery, receipt=receipts.pop())
        services.claim_cancel(person_id=withdrawn.person_id, claim_id=withdrawn.pk)
        with pytest.raises(Conflict, match="登记尚未截止"):
            services.giveaway_freeze(actor=users.cy, giveaway=lottery)
    with time_machine.travel(lottery.closes_at + timedelta(minutes=1)):
        assert press(members.hd[0], lottery).code in ("closed", "out_of_scope")
        services.giveaway_freeze(actor=users.cy, giveaway=lottery)
        with pytest.raises(ValidationFailed):
            services.giveaway_draw(actor=users.cy, giveaway=lottery)
        with django_capture_on_commit_callbacks(execute=True):  # the waitlist's task
            result = services.giveaway_draw(
                actor=users.cy, giveaway=lottery, public_value=TYPED_VALUE
            )
    lottery.refresh_from_db()
    return lottery, receipts, result


def test_the_draw_follows_the_rule(drawn):
    lottery, receipts, result = drawn
    assert lottery.status == "drawn" and lottery.taken == 3
    assert draw.commitment(lottery.seed) == lottery.commitment
    assert lottery.receipts_hash == draw.list_hash(receipts)
    expected = draw.draw(lottery.seed, receipts, 3, PUBLIC_VALUE)
    assert (result.winners, result.waitlist) == (expected.winners, expected.waitlist)
    won = Claim.objects.filter(giveaway=lottery, status="won").order_by("rank")
    assert [c.receipt for c in won] == expected.winners
    assert all(c.code and len(c.code) == 10 for c in won)
    waiting = Claim.objects.filter(giveaway=lottery, status="waiting").order_by("rank")
    assert [c.receipt for c in waiting] == expected.waitlist
    assert Message.objects.filter(text__contains="恭喜中签").count() == 3


def run_verifier(path: Path) -> subprocess.CompletedProcess:
    """The stand-alone verifier as anyone runs it: a Python of its own, isolated, no site."""
    return subprocess.run(
        [sys.executable, "-I", "-S", str(DRAW_PY), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_published_document_holds_receipts_only_and_the_verifier_agrees(
    drawn, tmp_path, members
):
    lottery, receipts, result = drawn
    document = selectors.draw_document(lottery)
    text = json.dumps(document, ensure_ascii=False)
    assert all(str(p) not in document.get("receipts", []) for p in members.cy)
    assert "朝阳会员" not in text
    published = tmp_path / "公示.json"
    published.write_text(text, encoding="utf-8")
    checked = run_verifier(published)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK" in checked.stdout


def test_the_verifier_catches_a_swapped_winner(drawn, tmp_path):
    lottery, receipts, result = drawn
    document = selectors.draw_document(lottery)
    published = tmp_path / "公示.json"
    document["winners"][0], document["waitlist"][0] = (
        document["waitlist"][0],
        document["winners"][0],
    )
    published.write_text(json.dumps(document), encoding="utf-8")
    tampered = run_verifier(published)
    assert tampered.returncode == 1


def _documented_fields(heading: str) -> list[str]:
    """The field names of docs/lottery.md's table under ``heading``."""
    text = LOTTERY_MD.read_text(encoding="utf-8")
    table = next(b for b in text[text.index(heading) :].split("\n\n") if b.startswith("|"))
    return re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)


def test_the_documented_document_is_the_published_one(drawn):
    """docs/lottery.md names the published document's fields as the code writes them, and
    the public value in its canonical form (trimmed, nothing else changed)."""
    lottery, receipts, result = drawn
    document = selectors.draw_document(lottery)
    for heading in ("### 公示文件的字段", "### The published document's fields"):
        assert _documented_fields(heading) == list(document), heading
    assert set(draw.FIELDS) <= set(document)
    text = LOTTERY_MD.read_text(encoding="utf-8").replace("\n", "")
    assert "、".join(f"`{f}`" for f in draw.FIELDS) in text  # the eight the verifier reads
    assert lottery.public_value == document["public_value"] == PUBLIC_VALUE
    assert result.combined == draw.combined_seed(lottery.seed, lottery.receipts_hash, PUBLIC_VALUE)
    assert draw.verify(document) == []


def test_the_public_draw_document_over_http(client, drawn):
    lottery, receipts, result = drawn
    response = client.get(f"/api/v1/perks/giveaways/{lottery.pk}/draw")
    assert response.status_code == 200
    body = response.json()
    assert body["winners"] == result.winners and body["seed"] == lottery.seed
    assert draw.verify(body) == []


def test_registration_after_the_freeze_is_refused(users, venue, tree, members):
    with time_machine.travel(OPENING - timedelta(days=1)):
        lottery = create(users.cy, venue, tree.chaoyang, mode="lottery")
        services.giveaway_publish(actor=users.cy, giveaway=lottery)
    with time_machine.travel(lottery.closes_at + timedelta(seconds=1)):
        services.giveaway_freeze(actor=users.cy, giveaway=lottery)
        claims.forget(lottery.pk)
        assert press(members.cy[0], lottery).code == "closed"
    assert not Claim.objects.filter(giveaway=lottery).exists()


# --- Cancel and the waitlist ----------------------------------------------------------------


def test_nobody_cancels_someone_elses_claim(members, fcfs):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        held = press(members.cy[0], fcfs).claim
        with pytest.raises(NotFound):  # someone else's claim
            services.claim_cancel(person_id=members.cy[1], claim_id=held["id"])


def test_cancel_returns_the_item_to_the_first_waiting(users, venue, tree, members, fcfs):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        held = [press(p, fcfs).claim for p in members.cy[:3]]
        assert press(members.cy[3], fcfs).code == "sold_out"
        for p in members.cy[3:5]:
            assert press(p, fcfs, key=f"wait-{p:08d}", waitlist=True).code == "waiting"
        services.claim_cancel(person_id=members.cy[0], claim_id=held[0]["id"])
    promoted = Claim.objects.get(giveaway=fcfs, person_id=members.cy[3])
    assert promoted.status == "won" and promoted.code
    still_waiting = Claim.objects.get(person_id=members.cy[4], giveaway=fcfs)
    assert still_waiting.status == "waiting"
    assert selectors.waitlist_position(still_waiting) == 1  # moved up: now next in line
    assert Message.objects.filter(person_id=members.cy[3], text__contains="候补成功").exists()
    fcfs.refresh_from_db()
    assert fcfs.taken == 3


def test_an_item_is_not_given_back_once_the_pickup_has_started(members, fcfs):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        held = press(members.cy[1], fcfs).claim
    with (
        time_machine.travel(fcfs.pickup_from + timedelta(seconds=1)),
        pytest.raises(Conflict, match="领取已开始"),
    ):
        services.claim_cancel(person_id=members.cy[1], claim_id=held["id"])


def cancel_the_card_of(users, person_id):
    card = Card.objects.get(person_id=person_id, status="active")
    card_cancel(actor=users.cy_grass, card=card, reason="离会")


def test_the_waitlist_skips_a_member_whose_card_was_cancelled(users, members, fcfs):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        held = [press(p, fcfs).claim for p in members.cy[:3]]
        for p in members.cy[3:5]:
            assert press(p, fcfs, key=f"wait-{p:08d}", waitlist=True).code == "waiting"
        cancel_the_card_of(users, members.cy[3])  # first in line, left the union since
        services.claim_cancel(person_id=members.cy[0], claim_id=held[0]["id"])
    skipped = Claim.objects.get(giveaway=fcfs, person_id=members.cy[3])
    assert skipped.status == "cancelled" and skipped.code is None and skipped.closed_at
    event = AuditEvent.objects.get(stream=fcfs.stream, action="perks.claim_skip")
    assert event.object_id == str(skipped.pk) and selectors.NO_CARD in event.body
    assert Message.objects.filter(person_id=members.cy[3], text__contains="候补已取消").exists()
    assert Claim.objects.get(giveaway=fcfs, person_id=members.cy[4]).status == "won"
    fcfs.refresh_from_db()
    assert fcfs.taken == 3


# --- The venue ------------------------------------------------------------------------------


@pytest.fixture
def counter(venue):
    user = make_user("rose_gate", None, None)
    MerchantStaff.objects.create(user=user, merchant=venue.merchant, location=venue)
    return user


def held_code(members, fcfs) -> str:
    """The pickup code of the first Chaoyang member's claim, made at the opening."""
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        return press(members.cy[0], fcfs).claim["code"]


def test_a_pickup_code_is_not_accepted_before_the_pickup_starts(members, fcfs, counter):
    code = held_code(members, fcfs)
    with (
        time_machine.travel(OPENING + timedelta(seconds=1)),
        pytest.raises(Conflict, match="尚未到领取时间"),
    ):
        pickup_accept(actor=counter, code=code)


def test_a_pickup_code_is_accepted_once(members, fcfs, counter):
    code = held_code(members, fcfs)
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        done = pickup_accept(actor=counter, code=code.lower())
        assert done.status == "picked_up" and done.picked_up_by == counter
        with pytest.raises(Conflict, match="已于 .* 在“玫瑰情园·南门售票处”核销"):
            pickup_accept(actor=counter, code=code)
    assert AuditEvent.objects.filter(stream=fcfs.stream, action="perks.pickup").count() == 1


def test_an_unknown_or_malformed_pickup_code_is_refused(members, fcfs, counter):
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        with pytest.raises(NotFound):
            pickup_accept(actor=counter, code="ZZZZZZZZZZ")
        with pytest.raises(ValidationFailed):
            pickup_accept(actor=counter, code="12")


def test_the_wrong_venue_is_refused(venue, tree, members, fcfs):
    other = Merchant.objects.create(
        name="另一家商户",
        category="food",
        discount="九折",
        valid_from=venue.merchant.valid_from,
        valid_until=venue.merchant.valid_until,
        org_unit=tree.chaoyang,
    )
    elsewhere = make_user("elsewhere", None, None)
    MerchantStaff.objects.create(user=elsewhere, merchant=other)
    other_gate = make_user("north_gate", None, None)
    north = Location.objects.create(
        merchant=venue.merchant, name="北门", address="北门", district=tree.chaoyang
    )
    MerchantStaff.objects.create(user=other_gate, merchant=venue.merchant, location=north)
    code = held_code(members, fcfs)
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        for wrong in (elsewhere, other_gate):
            with pytest.raises(Forbidden, match="此领取码应在“玫瑰情园·南门售票处”领取"):
                pickup_accept(actor=wrong, code=code)


def test_a_login_that_is_no_venue_accepts_no_code(users, members, fcfs):
    code = held_code(members, fcfs)
    with (
        time_machine.travel(fcfs.pickup_from + timedelta(hours=1)),
        pytest.raises(Forbidden),
    ):
        pickup_accept(actor=users.nopost, code=code)


def test_another_unions_staff_find_no_such_code(users, members, fcfs):
    code = held_code(members, fcfs)
    with (
        time_machine.travel(fcfs.pickup_from + timedelta(hours=1)),
        pytest.raises(NotFound),  # Haidian's union staff: not their giveaway
    ):
        pickup_accept(actor=users.hd, code=code)


def test_the_organisers_staff_accept_a_code_at_their_desk(users, members, fcfs):
    code = held_code(members, fcfs)
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        assert pickup_accept(actor=users.cy, code=code).status == "picked_up"


def test_a_code_is_refused_once_the_members_card_is_not_in_use(users, members, fcfs, counter):
    gone = held_code(members, fcfs)
    cancel_the_card_of(users, members.cy[0])
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        with pytest.raises(Conflict, match="持卡人的会员服务卡已不在有效状态"):
            pickup_accept(actor=counter, code=gone)
        assert Claim.objects.get(code=gone).status == "won"


def test_a_reissued_card_still_collects(users, members, fcfs, counter):
    moved = held_code(members, fcfs)
    lost = Card.objects.get(person_id=members.cy[0])
    card_reissue(actor=users.cy_grass, card=lost, reason="遗失")  # a new card counts
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        assert pickup_accept(actor=counter, code=moved).status == "picked_up"


def test_a_lottery_winner_keeps_the_place_but_needs_a_card_to_collect(users, drawn, counter):
    lottery, _, result = drawn
    winner = Claim.objects.get(giveaway=lottery, receipt=result.winners[0])
    cancel_the_card_of(users, winner.person_id)
    with (
        time_machine.travel(lottery.pickup_from + timedelta(hours=1)),
        pytest.raises(Conflict, match="不能领取"),
    ):
        pickup_accept(actor=counter, code=winner.code)
    stays = Claim.objects.get(pk=winner.pk)
    assert (stays.status, stays.rank, stays.code) == ("won", 1, winner.code)  # as drawn


def test_a_switched_off_merchants_counter_accepts_no_code(venue, members, fcfs, counter):
    """As for checking a card: a merchant switched off."""
    code = held_code(members, fcfs)
    Merchant.objects.filter(pk=venue.merchant_id).update(is_active=False)
    with (
        time_machine.travel(fcfs.pickup_from + timedelta(hours=1)),
        pytest.raises(Forbidden, match="本商户未启用或不在合作期内，不能核销领取码"),
    ):
        pickup_accept(actor=counter, code=code)


def test_a_counter_accepts_codes_within_its_contract_only(venue, members, fcfs, counter):
    """As for checking a card: a merchant outside its contract dates."""
    code = held_code(members, fcfs)
    merchant = Merchant.objects.filter(pk=venue.merchant_id)
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        merchant.update(valid_until=fcfs.pickup_from.date() - timedelta(days=1))
        with pytest.raises(Forbidden, match="不在合作期内"):
            pickup_accept(actor=counter, code=code)
        assert Claim.objects.get(code=code).status == "won"
        merchant.update(valid_until=fcfs.pickup_until.date())
        assert pickup_accept(actor=counter, code=code).status == "picked_up"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_scanners_cannot_both_accept(users, venue, tree, members, fcfs, counter):
    second = make_user("rose_gate_2", None, None)
    MerchantStaff.objects.create(user=second, merchant=venue.merchant)
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        code = press(members.cy[0], fcfs).claim["code"]
    outcomes = []
    barrier = threading.Barrier(2)

    def scan(user):
        try:
            barrier.wait()
            pickup_accept(actor=user, code=code)
            outcomes.append("accepted")
        except Conflict as refused:
            outcomes.append(refused.message)
        finally:
            connection.close()

    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1), tick=True):
        threads = [threading.Thread(target=scan, args=(u,)) for u in (counter, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(o == "accepted" for o in outcomes) == [False, True], outcomes
    assert "已于" in next(o for o in outcomes if o != "accepted")


def test_no_shows_are_released_only_after_the_pickup_closes(users, members, fcfs):
    held_code(members, fcfs)
    with (
        time_machine.travel(fcfs.pickup_from + timedelta(hours=1)),
        pytest.raises(Conflict, match="领取截止"),
    ):
        services.no_shows_release(
            actor=users.cy, giveaway=fcfs, pickup_until=fcfs.pickup_until + timedelta(days=3)
        )


def test_another_unions_staff_release_nothing(users, members, fcfs):
    held_code(members, fcfs)
    with (
        time_machine.travel(fcfs.pickup_until + timedelta(hours=1)),
        pytest.raises(NotFound),
    ):
        services.no_shows_release(
            actor=users.hd, giveaway=fcfs, pickup_until=fcfs.pickup_until + timedelta(days=3)
        )


def test_a_new_pickup_deadline_is_within_the_years_a_record_carries(users, members, fcfs):
    held_code(members, fcfs)
    with (
        time_machine.travel(fcfs.pickup_until + timedelta(hours=1)),
        pytest.raises(ValidationFailed, match="领取截止应在 1949–2100 年之间"),
    ):
        services.no_shows_release(
            actor=users.cy, giveaway=fcfs, pickup_until=fcfs.pickup_until.replace(year=9999)
        )


def test_no_shows_are_released_to_the_waitlist(users, venue, tree, members, fcfs, counter):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        codes = [press(p, fcfs).claim["code"] for p in members.cy[:3]]
        press(members.cy[3], fcfs, key="wait-00000001", waitlist=True)
    with time_machine.travel(fcfs.pickup_from + timedelta(hours=1)):
        pickup_accept(actor=counter, code=codes[0])
    with time_machine.travel(fcfs.pickup_until + timedelta(hours=1)):
        promoted = services.no_shows_release(
            actor=users.cy, giveaway=fcfs, pickup_until=fcfs.pickup_until + timedelta(days=3)
        )
        assert promoted == 1
        with pytest.raises(Conflict):  # a released code is dead
            pickup_accept(actor=counter, code=codes[1])
        late = Claim.objects.get(giveaway=fcfs, person_id=members.cy[3])
        assert late.status == "won"
        assert pickup_accept(actor=counter, code=late.code).status == "picked_up"
    statuses = sorted(Claim.objects.filter(giveaway=fcfs).values_list("status", flat=True))
    assert statuses == ["picked_up", "picked_up", "released", "released"]
    fcfs.refresh_from_db()
    assert fcfs.taken == 2


# --- Sealing --------------------------------------------------------------------------------


def test_claims_are_sealed_in_batches_and_the_stream_verifies(members, fcfs, monkeypatch):
    monkeypatch.setattr(services, "SEAL_BATCH", 2)
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        for p in members.cy[:3]:
            press(p, fcfs)
    assert services.claims_seal_all() == 3
    assert services.claims_seal(giveaway=fcfs) == 0  # nothing twice
    seals = AuditEvent.objects.filter(stream=fcfs.stream, action="perks.claim.seal").order_by("seq")
    assert [s.object_id.count("-") for s in seals] == [1, 1]
    rows = services.seal_rows(
        Claim.objects.filter(giveaway=fcfs)
        .order_by("id")
        .values("id", "person_id", "quantity", "receipt", "created_at")
    )
    count, digest = batch_digest(rows[:2])
    assert digest in seals[0].body and count == 2
    assert verify_stream(fcfs.stream).ok


def test_housekeeping_seals_the_claims(members, fcfs):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        press(members.cy[0], fcfs)
    assert services.claims_housekeeping() == 1
    fcfs.refresh_from_db()
    assert fcfs.sealed_through == Claim.objects.get(giveaway=fcfs).pk


def test_housekeeping_drops_old_rate_limit_counts(members, fcfs):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        press(members.cy[0], fcfs)
    now = int(time.time()) // 60
    Hit.objects.create(person_id=members.cy[1], minute=now, hits=3)  # this minute: kept
    services.claims_housekeeping()
    # The claim's count (made at the opening, months ago) is gone; this minute's is kept.
    assert list(Hit.objects.values_list("person_id", flat=True)) == [members.cy[1]]


# --- Transitions decide on the locked row (review findings) ----------------------------------


def test_a_giveaway_is_not_published_twice(users, venue, tree):
    with time_machine.travel(OPENING - timedelta(days=1)):
        lottery = create(users.cy, venue, tree.chaoyang, mode="lottery")
        stale = Giveaway.objects.get(pk=lottery.pk)  # a second browser tab
        services.giveaway_publish(actor=users.cy, giveaway=lottery)
        with pytest.raises(Conflict, match="不能发布"):
            services.giveaway_publish(actor=users.cy, giveaway=stale)
    assert AuditEvent.objects.filter(action="perks.giveaway_publish").count() == 1


def test_a_drawn_lottery_is_neither_drawn_again_nor_cancelled(users, venue, tree, members):
    with time_machine.travel(OPENING - timedelta(days=1)):
        lottery = create(users.cy, venue, tree.chaoyang, mode="lottery")
        stale = Giveaway.objects.get(pk=lottery.pk)  # a second browser tab
        services.giveaway_publish(actor=users.cy, giveaway=lottery)
    with time_machine.travel(OPENING + timedelta(hours=1)):
        press(members.cy[0], lottery)
    with time_machine.travel(lottery.closes_at + timedelta(minutes=1)):
        services.giveaway_freeze(actor=users.cy, giveaway=lottery)
        services.giveaway_draw(actor=users.cy, giveaway=stale)
        code = Claim.objects.get(giveaway=lottery).code
        with pytest.raises(Conflict, match="冻结后才能摇号"):
            services.giveaway_draw(actor=users.cy, giveaway=stale)
        with pytest.raises(Conflict, match="不能取消"):
            services.giveaway_cancel(actor=users.cy, giveaway=stale, reason="重复")
    assert Claim.objects.get(giveaway=lottery).code == code  # the winner's code stands


def test_a_public_value_needs_a_source_announced_in_advance(users, venue, tree, members):
    with time_machine.travel(OPENING - timedelta(days=1)):
        lottery = create(users.cy, venue, tree.chaoyang, mode="lottery")
        services.giveaway_publish(actor=users.cy, giveaway=lottery)
    with time_machine.travel(lottery.closes_at + timedelta(minutes=1)):
        services.giveaway_freeze(actor=users.cy, giveaway=lottery)
        with pytest.raises(ValidationFailed, match="未公布公开随机数来源"):
            services.giveaway_draw(actor=users.cy, giveaway=lottery, public_value="123")


def test_a_cancelled_giveaway_stops_everything(users, venue, tree, members, fcfs, counter):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        code = press(members.cy[0], fcfs).claim["code"]
        for p in members.cy[1:3]:
            press(p, fcfs)
        press(members.cy[3], fcfs, key="wait-00000009", waitlist=True)
        services.giveaway_cancel(actor=users.cy, giveaway=fcfs, reason="场地临时关闭")
        assert press(members.cy[4], fcfs, key="late-0000001").code == "cancelled"
    assert set(Claim.objects.filter(giveaway=fcfs).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert Message.objects.filter(text__contains="场地临时关闭").count() == 4
    with (
        time_machine.travel(fcfs.pickup_from + timedelta(hours=1)),
        pytest.raises(Conflict, match="已取消"),
    ):
        pickup_accept(actor=counter, code=code)


def test_releasing_twice_gives_nothing_twice(users, venue, tree, members, fcfs, counter):
    with time_machine.travel(OPENING + timedelta(seconds=1)):
        for p in members.cy[:3]:
            press(p, fcfs)
        for p in members.cy[3:5]:
            press(p, fcfs, key=f"wait-{p:08d}", waitlist=True)
    stale = Giveaway.objects.get(pk=fcfs.pk)
    with time_machine.travel(fcfs.pickup_until + timedelta(hours=1)):
        later = fcfs.pickup_until + timedelta(days=3)
        assert services.no_shows_release(actor=users.cy, giveaway=fcfs, pickup_until=later) == 2
        with pytest.raises(Conflict, match="领取截止"):  # the new window is open now
            services.no_shows_release(actor=users.cy, giveaway=stale, pickup_until=later)
    fcfs.refresh_from_db()
    assert fcfs.taken == 2 == Claim.objects.filter(giveaway=fcfs, status="won").count()


def test_pickup_places_are_the_organisers_merchants(users, venue, tree):
    haidian_shop = Location.objects.create(
        merchant=Merchant.objects.create(
            name="海淀书店",
            category="culture",
            discount="九折",
            valid_from=venue.merchant.valid_from,
            valid_until=venue.merchant.valid_until,
            org_unit=tree.haidian,
        ),
        name="中关村店",
        address="海淀区",
        district=tree.haidian,
    )
    assert list(pickup_locations(users.cy)) == [venue]
    with pytest.raises(ValidationFailed) as refused:
        create(users.cy, haidian_shop, tree.chaoyang)
    assert "pickup_location" in refused.value.fields


def test_registrations_cannot_be_withdrawn_after_the_close(users, venue, tree, members):
    with time_machine.travel(OPENING - timedelta(days=1)):
        lottery = create(users.cy, venue, tree.chaoyang, mode="lottery")
        services.giveaway_publish(actor=users.cy, giveaway=lottery)
    with time_machine.travel(OPENING + timedelta(hours=1)):
        claim_id = press(members.cy[0], lottery).claim["id"]
    with (
        time_machine.travel(lottery.closes_at + timedelta(seconds=1)),
        pytest.raises(Conflict, match="登记已截止"),
    ):
        services.claim_cancel(person_id=members.cy[0], claim_id=claim_id)
