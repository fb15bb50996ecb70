import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.audit.models import AuditEvent
from gonghui.files.services import attachment_add
from gonghui.people import services as people
from tests.factories import VALID_IDS, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan(tree, users, settings, tmp_path):
    """A Chaoyang person's ID scan."""
    settings.MEDIA_ROOT = tmp_path
    person = make_person(
        tree.cy_grass, "迁出人", id_number=VALID_IDS[1], birth_date=date(1990, 3, 7)
    )
    return attachment_add(
        actor=users.cy,
        owner=person,
        org_unit=tree.cy_grass,
        upload=SimpleUploadedFile("身份证.png", b"\x89PNG\r\n\x1a\n scan"),
    )


def test_a_persons_files_move_with_the_person(client, tree, users, scan):
    person = scan.owner
    people.person_update(actor=users.admin, person=person, data={}, org_unit=tree.hd_grass)

    scan.refresh_from_db()
    assert scan.org_unit == tree.hd_grass
    client.force_login(users.cy)  # the old district no longer reaches the scan
    assert client.get(f"/files/{scan.pk}/").status_code == 404
    client.force_login(users.hd)  # the new one does
    assert client.get(f"/files/{scan.pk}/").status_code == 200
    event = AuditEvent.objects.filter(action="people.update").latest("seq")
    assert json.loads(event.body)["changes"]["org_unit"] == [tree.cy_grass.pk, tree.hd_grass.pk]
