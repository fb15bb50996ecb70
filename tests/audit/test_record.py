"""record(): one event per write, in the write's own transaction, with personal data masked."""

import hashlib
import json
from datetime import date

import pytest
from django.db import IntegrityError, transaction

from gonghui.audit import heads, services
from gonghui.audit.context import current_ip
from gonghui.audit.models import AuditCheckpoint, AuditEvent
from gonghui.audit.verifier import GENESIS, batch_digest, link_hash
from gonghui.common.errors import DomainError
from gonghui.orgs.models import Post
from gonghui.orgs.services import orgunit_update
from gonghui.people.models import Person
from gonghui.people.services import (
    membership_join,
    membership_leave,
    person_create,
    person_reveal,
    person_update,
)
from tests.factories import VALID_IDS

ID_NUMBER = VALID_IDS[1]  # 110101199003070038
PHONE = "13800138000"

pytestmark = pytest.mark.django_db


def body(event: AuditEvent) -> dict:
    return json.loads(event.body)


def post_of(user) -> int:
    return Post.objects.get(user=user).pk


def create_person(users, tree, **data) -> Person:
    data = {"name": "赵郁", "id_number": ID_NUMBER, "phone": PHONE} | data
    return person_create(actor=users.cy, org_unit=tree.cy_grass, data=data)


def test_record_links_each_event_to_the_previous_one(users):
    first = services.record(actor=users.admin, action="test.one")
    second = services.record(actor=None, action="test.two", object_type="x", object_id="7")

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert second.hash == link_hash(first.hash, second.body)
    assert body(second)["actor"] == {"id": None, "name": "", "post": None}
    assert body(first)["actor"] == {"id": users.admin.pk, "name": "admin_t", "post": None}
    assert services.verify_stream().ok


def test_a_service_write_records_who_where_and_what(users, tree):
    person = create_person(users, tree)

    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.actor_name) == (
        "people.create",
        users.cy.pk,
        "cy_staff",
    )
    assert event.post_id == post_of(users.cy)
    assert (event.object_type, event.object_id) == ("people.person", str(person.pk))
    assert event.org_unit_id == tree.cy_grass.pk
    content = body(event)
    assert content["action"] == "people.create"
    assert content["actor"] == {"id": users.cy.pk, "name": "cy_staff", "post": post_of(users.cy)}
    assert content["object"] == {
        "type": "people.person",
        "id": str(person.pk),
        "org_unit": tree.cy_grass.pk,
    }
    assert content["changes"]["name"] == [None, "赵郁"]
    assert content["changes"]["org_unit"] == [None, tree.cy_grass.pk]


def test_each_service_appends_one_event(users, tree):
    person = create_person(users, tree)
    person_update(actor=users.cy, person=person, data={"name": "赵玉"})
    membership = membership_join(
        actor=users.cy, person=person, org_unit=tree.cy_grass, joined_on=date(2020, 1, 1)
    )
    membership_leave(actor=users.cy, membership=membership, left_on=date.today())
    person_reveal(actor=users.cy, person=person, field="phone")

    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "people.create",
        "people.update",
        "people.membership_join",
        "people.membership_leave",
        "pii.reveal",
    ]
    update = AuditEvent.objects.get(action="people.update")
    assert body(update)["changes"] == {"name": ["赵郁", "赵玉"]}
    assert services.verify_stream().ok


def test_an_event_recorded_before_a_failure_is_rolled_back_with_it(users):
    @transaction.atomic
    def failing_service():
        services.record(actor=users.admin, action="test.doomed")
        raise RuntimeError("the write fails after its event was recorded")

    services.record(actor=users.admin, action="test.kept")
    with pytest.raises(RuntimeError):
        failing_service()

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.kept"]
    # The chain goes on from the last event kept, not from the rolled-back one.
    after = services.record(actor=users.admin, action="test.after")
    assert after.seq == 2
    assert services.verify_stream().ok


def test_a_write_whose_event_cannot_be_recorded_does_not_happen(users, tree, monkeypatch):
    def broken_record(**kwargs):
        services.record(**kwargs)
        raise IntegrityError("the audit insert failed")

    monkeypatch.setattr("gonghui.people.services.record", broken_record)
    with pytest.raises(IntegrityError):
        create_person(users, tree)

    assert not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_event_belongs_to_the_unit_it_is_about(users, tree):
    orgunit_update(actor=users.cy, unit=tree.cy_street, name="建外街道工会")
    person = create_person(users, tree)

    unit_event, person_event = AuditEvent.objects.order_by("seq")
    assert (unit_event.action, unit_event.org_unit_id) == ("orgs.update", tree.cy_street.pk)
    assert body(unit_event)["object"]["org_unit"] == tree.cy_street.pk
    assert person_event.org_unit_id == person.org_unit_id == tree.cy_grass.pk
    login = services.record(actor=users.cy, action="auth.login", obj=users.cy)
    assert login.org_unit_id is None  # a user belongs to no unit: city auditors see it


def test_refused_writes_leave_no_event(users, tree):
    person = create_person(users, tree)
    with pytest.raises(DomainError):  # street staff may not see unmasked ID numbers
        person_reveal(actor=users.cy_street, person=person, field="id_number")
    with pytest.raises(DomainError):  # Haidian staff cannot see a Chaoyang person at all
        person_update(actor=users.hd, person=person, data={"name": "某"})

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["people.create"]


def test_personal_data_is_masked_in_the_event(users, tree):
    person = create_person(users, tree)
    person_update(actor=users.cy, person=person, data={"phone": "13900139000"})

    created, updated = AuditEvent.objects.order_by("seq")
    assert body(created)["changes"]["id_number"] == ["", "11**************38"]
    assert body(created)["changes"]["phone"] == ["", "138******00"]
    assert body(updated)["changes"]["phone"] == ["138******00", "139******00"]
    person.refresh_from_db()
    forbidden = [ID_NUMBER, PHONE, "13900139000", person.id_number_index, person.phone_index]
    forbidden += [hashlib.sha256(v.encode()).hexdigest() for v in (ID_NUMBER, PHONE)]
    forbidden += [hashlib.sha256(ID_NUMBER.lower().encode()).hexdigest()]
    for event in (created, updated):
        row = " ".join(
            str(v) for v in AuditEvent.objects.filter(pk=event.pk).values().get().values()
        )
        for secret in forbidden:
            assert secret not in row


def test_the_reveal_event_names_the_field_not_its_value(users, tree):
    person = create_person(users, tree)
    value = person_reveal(actor=users.cy, person=person, field="id_number")

    assert value == ID_NUMBER
    event = AuditEvent.objects.get(action="pii.reveal")
    assert body(event)["changes"] == {"field": [None, "id_number"]}
    assert ID_NUMBER not in event.body


def test_the_database_refuses_a_fork(users):
    for n in range(3):
        services.record(actor=None, action=f"test.{n}")
    second = AuditEvent.objects.get(seq=2)
    body_text = second.body.replace("test.1", "test.fork")

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(
            stream="platform",
            seq=4,
            prev_hash=second.prev_hash,  # a second child of event 1
            hash=link_hash(second.prev_hash, body_text),
            body=body_text,
            created_at=second.created_at,
            action="test.fork",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(
            stream="platform",
            seq=2,
            prev_hash=AuditEvent.objects.get(seq=3).hash,
            hash="0" * 64,
            body=body_text,
            created_at=second.created_at,
            action="test.fork",
        )


@pytest.mark.parametrize(
    ("remote", "stored"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("", None),  # gunicorn bound to a unix socket (behind nginx) gives REMOTE_ADDR ""
        ("-", None),  # gunicorn's ASGI worker without a peer
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),  # stored in normal form: hash that form
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
    ],
)
def test_any_client_address_gives_an_event_that_verifies(remote, stored):
    token = current_ip.set(remote)
    try:
        event = services.record(actor=None, action="test.ip")
    finally:
        current_ip.reset(token)

    report = services.verify_stream()
    assert report.ok, report.problems
    event.refresh_from_db()
    assert (event.ip, body(event)["ip"]) == (stored, stored)


def test_streams_are_separate_chains(users):
    services.record(actor=None, action="test.a")
    other = services.record(actor=None, action="test.b", stream="contest-7")
    services.record(actor=None, action="test.c")

    assert (other.seq, other.prev_hash) == (1, GENESIS)
    assert services.streams() == ["contest-7", "platform"]
    assert services.verify_stream("platform").events == 2
    assert services.verify_stream("contest-7").ok


def test_a_milestone_signs_a_checkpoint_with_the_next_platform_head(monkeypatch):
    """Not inside the write that reaches it (record() never signs): the worker's next head
    (within the minute) signs a checkpoint for a stream past each multiple of
    CHECKPOINT_EVERY, at the head it signs, under the head's checks."""
    monkeypatch.setattr(heads, "CHECKPOINT_EVERY", 3)
    signed = []
    for count in (2, 2, 1, 1):
        for n in range(count):
            services.record(actor=None, action=f"test.{n}")
        assert not AuditCheckpoint.objects.filter(seq=AuditEvent.objects.count()).exists()
        signed.append(services.head_sign().signed)

    assert signed == [0, 1, 0, 1]  # past 3 at 4, past 6 at 6
    assert dict(AuditCheckpoint.objects.values_list("seq", "head")) == {
        4: AuditEvent.objects.get(seq=4).hash,
        6: AuditEvent.objects.get(seq=6).hash,
    }
    report = services.verify_stream()
    assert (report.ok, report.events, report.checkpoints) == (True, 6, 2)


def test_high_volume_records_are_sealed_in_batches(db):
    """Claims or votes: one event per batch carries count, range and digest; an outsider
    recomputes the digest from the rows, and any change to a row shows."""
    rows = [{"id": n, "person": 1000 + n, "item": "玫瑰情园门票"} for n in range(1, 501)]
    event = services.seal(stream="giveaway:1", kind="perks.claim", rows=rows)
    assert AuditEvent.objects.filter(stream="giveaway:1").count() == 1
    changes = json.loads(event.body)["changes"]
    assert changes["count"][1] == 500 and event.object_id == "1-500"
    assert changes["sha256"][1] == batch_digest(rows)[1]
    rows[250]["person"] = 9999
    assert batch_digest(rows)[1] != changes["sha256"][1]
    assert services.seal(stream="giveaway:1", kind="perks.claim", rows=[]) is None
    assert services.verify_stream("giveaway:1").ok
