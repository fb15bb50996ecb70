"""A stored file outlives no refused write: deleted when the request that stored it ends
with no attachment naming it, and, whatever a crash left, by the worker's hourly sweep."""

import os
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone

from gonghui.files.models import Attachment, folder
from gonghui.files.services import SWEEP_CAP, attachment_add, attachments_sweep
from gonghui.web.management.commands.worker import schedules
from tests.factories import make_person

pytestmark = pytest.mark.django_db
SCAN = b"\x89PNG\r\n\x1a\n scan"


class Refused(Exception):
    """A later step of the write that stored the file."""


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def attach(tree, users, media):
    """Attach an ID scan to a Chaoyang person, as Chaoyang's staff."""
    person = make_person(tree.cy_grass, "迁出人")

    def attach():
        return attachment_add(
            actor=users.cy,
            owner=person,
            org_unit=tree.cy_grass,
            upload=SimpleUploadedFile("身份证.png", SCAN),
        )

    return attach


def stored(media) -> set[str]:
    return {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}


@contextmanager
def serving():
    """Within a request's signals, as Django's test client sends them (the test's
    transaction kept open: its connection is not closed at either end)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        yield
        request_finished.send(sender=None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_a_refused_writes_file_goes_when_its_request_ends(attach, media):
    with serving():
        with pytest.raises(Refused), transaction.atomic():
            attach()
            raise Refused
        assert len(stored(media)) == 1  # rolled back, the file still there
    assert stored(media) == set() and not Attachment.objects.exists()


def test_a_written_attachments_file_stays(attach, media):
    with serving():
        scan = attach()
    assert stored(media) == {scan.file.name}


def test_only_the_file_of_a_savepoint_rolled_back_goes(attach, media):
    with serving(), transaction.atomic():
        kept = attach()
        with pytest.raises(Refused), transaction.atomic():
            attach()
            raise Refused
    assert stored(media) == {kept.file.name}
    assert list(Attachment.objects.all()) == [kept]


def age(media, name: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(media / name, (then, then))


def test_the_sweep_deletes_files_no_attachment_names_after_an_hour(attach, media):
    now = timezone.now()
    scan = attach()
    earlier = named_last_month(attach, now)
    this_month = default_storage.save(f"{folder(now)}/crash", ContentFile(b"left"))
    last_month = default_storage.save(
        f"{folder(now.replace(day=1) - timedelta(days=1))}/crash", ContentFile(b"left")
    )
    fresh = default_storage.save(f"{folder(now)}/fresh", ContentFile(b"being written"))
    for name in (scan.file.name, earlier, this_month, last_month):
        age(media, name, 3601)
    age(media, fresh, 3000)  # its transaction may still be open

    assert attachments_sweep() == 2
    assert stored(media) == {scan.file.name, earlier, fresh}


def named_last_month(attach, now) -> str:
    """An attachment stored last month (its file moved to last month's folder)."""
    attachment = attach()
    name = default_storage.save(
        f"{folder(now.replace(day=1) - timedelta(days=1))}/kept", attachment.file.open("rb")
    )
    attachment.file.close()
    default_storage.delete(attachment.file.name)
    Attachment.objects.filter(pk=attachment.pk).update(file=name)
    return name


def test_the_sweep_leaves_a_folder_no_attachment_names_any_file_of(attach, media, caplog):
    # A database restored from an older backup, or empty while pg_restore runs: every file
    # of the month looks like a leftover. Last month's folder here has no named file.
    now = timezone.now()
    scan = attach()
    last_month = [
        default_storage.save(
            f"{folder(now.replace(day=1) - timedelta(days=1))}/document{i}", ContentFile(b"kept")
        )
        for i in range(3)
    ]
    crash = default_storage.save(f"{folder(now)}/crash", ContentFile(b"left"))
    for name in (scan.file.name, crash, *last_month):
        age(media, name, 3601)

    assert attachments_sweep() == 1  # this month's leftover, where the rows are in place
    assert stored(media) == {scan.file.name, *last_month}
    assert "no attachment names any of its 3 files; not swept" in caplog.text


def test_the_sweep_leaves_a_folder_where_over_a_hundred_files_would_go(attach, media, caplog):
    # The database knows some files of the month but not a great many more (restored from a
    # backup of earlier this month): too many to be what a crash leaves.
    now = timezone.now()
    scan = attach()
    unnamed = [
        default_storage.save(f"{folder(now)}/document{i}", ContentFile(b"kept"))
        for i in range(SWEEP_CAP + 1)
    ]
    for name in (scan.file.name, *unnamed):
        age(media, name, 3601)

    assert attachments_sweep() == 0
    assert stored(media) == {scan.file.name, *unnamed}
    assert f"101 files no attachment names, over {SWEEP_CAP}; not swept" in caplog.text

    default_storage.delete(unnamed.pop())  # a hundred: what the sweep takes in one run
    assert attachments_sweep() == SWEEP_CAP
    assert stored(media) == {scan.file.name}


def test_the_worker_sweeps_hourly():
    assert any(job is attachments_sweep for _, job, _ in schedules())
