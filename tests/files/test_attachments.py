import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.audit.models import AuditEvent
from gonghui.files.services import attachment_add
from gonghui.people.services import person_update
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
    person_update(actor=users.admin, person=person, data={}, org_unit=tree.hd_grass)

    scan.refresh_from_db()
    assert scan.org_unit == tree.hd_grass
    client.force_login(users.cy)  # the old district no longer reaches the scan
    assert client.get(f"/files/{scan.pk}/").status_code == 404
    client.force_login(users.hd)  # the new one does
    assert client.get(f"/files/{scan.pk}/").status_code == 200
    # The move at each end: from where at the old union, only where to at the new one.
    leaving = AuditEvent.objects.get(action="people.move_out")
    assert json.loads(leaving.body)["changes"]["org_unit"] == [tree.cy_grass.pk, tree.hd_grass.pk]
    event = AuditEvent.objects.filter(action="people.update").latest("seq")
    assert json.loads(event.body)["changes"]["org_unit"] == [None, tree.hd_grass.pk]


def test_each_download_is_recorded(client, tree, users, scan):
    client.force_login(users.cy_grass)
    response = client.get(f"/files/{scan.pk}/", REMOTE_ADDR="10.0.0.8")

    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n scan"
    event = AuditEvent.objects.get(action="files.download")
    assert (event.actor_id, event.post_id) == (users.cy_grass.pk, users.cy_grass.posts.get().pk)
    assert (event.object_type, event.object_id) == ("files.attachment", str(scan.pk))
    assert (event.org_unit_id, event.ip) == (tree.cy_grass.pk, "10.0.0.8")


def test_a_refused_download_records_nothing(client, users, scan):
    client.force_login(users.hd)

    assert client.get(f"/files/{scan.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="files.download").exists()
