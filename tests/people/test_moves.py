"""A person moved to another union: both unions' auditors see it, each from their side."""

import json

import pytest

from gonghui.audit.models import AuditEvent
from gonghui.audit.selectors import event_list
from gonghui.people import services
from tests.factories import make_user

pytestmark = pytest.mark.django_db
ID = "110101199003070038"


@pytest.fixture
def auditors(tree):
    """Chaoyang's auditor and Haidian's."""
    return (
        make_user("cy_auditor", tree.chaoyang, "auditor"),
        make_user("hd_auditor", tree.haidian, "auditor"),
    )


@pytest.fixture
def moved(tree, users, auditors):
    """丙, registered in Chaoyang and moved to Haidian (with a new post title)."""
    person = services.person_create(
        actor=users.admin, org_unit=tree.cy_grass, data={"name": "丙", "id_number": ID}
    )
    services.person_update(
        actor=users.admin, person=person, data={"post_title": "班组长"}, org_unit=tree.hd_grass
    )
    return person


def test_the_old_district_auditors_see_the_record_leave(moved, auditors):
    person, (cy_auditor, hd_auditor) = moved, auditors

    def seen(auditor):
        return set(
            event_list(actor=auditor, object_id=str(person.pk)).values_list("action", flat=True)
        )

    # Chaoyang sees the record arrive (created there) and leave; Haidian sees the change.
    assert seen(cy_auditor) == {"people.create", "people.move_out"}
    assert seen(hd_auditor) == {"people.update"}


def test_the_leaving_event_says_where_to_and_nothing_of_the_record(tree, moved):
    leaving = AuditEvent.objects.get(action="people.move_out")
    assert leaving.org_unit_id == tree.cy_grass.pk
    # It says where to, and nothing of the record after the move.
    assert json.loads(leaving.body)["changes"] == {"org_unit": [tree.cy_grass.pk, tree.hd_grass.pk]}


def test_the_arriving_event_says_not_from_where(tree, moved):
    # The new union's event says it arrived, not from where (Haidian need not see Chaoyang).
    arriving = AuditEvent.objects.get(action="people.update")
    assert arriving.org_unit_id == tree.hd_grass.pk
    assert json.loads(arriving.body)["changes"] == {
        "org_unit": [None, tree.hd_grass.pk],
        "post_title": ["", "班组长"],
    }


def test_the_audit_page_names_the_move_out(client, moved, auditors):
    person, (cy_auditor, _) = moved, auditors
    client.force_login(cy_auditor)
    page = client.get(f"/audit/?object_id={person.pk}").content.decode()
    assert "人员转出" in page


def test_an_update_without_a_move_is_one_event(tree, users):
    person = services.person_create(
        actor=users.cy, org_unit=tree.cy_grass, data={"name": "丙", "id_number": ID}
    )
    before = AuditEvent.objects.count()
    services.person_update(actor=users.cy, person=person, data={"post_title": "班组长"})
    services.person_update(
        actor=users.cy, person=person, data={}, org_unit=tree.cy_grass
    )  # the same union: no move
    assert AuditEvent.objects.count() == before + 2
    assert not AuditEvent.objects.filter(action="people.move_out").exists()
