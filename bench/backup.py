"""Backup figures (issue #21, 6): a set of the benchmark database written, then its restore
drill (restore into a scratch database, checksums, the audit chain, row counts, files),
both timed, with the set's size.

The database is the foundation area's (the seeded city federation and its tree, built
through the importer) with audited writes and attachments on it, so that every part of a
set has weight: the database, the audit chain the drill verifies, the files."""

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from foundation import build_tree, make_user
from measure import comparison, figure, note

from gonghui.audit.services import checkpoint_all, record
from gonghui.backup import drill, sets
from gonghui.files.services import attachment_store
from gonghui.orgs.models import OrgUnit


@dataclass(frozen=True)
class Scale:
    nodes: int  # org units in the tree
    events: int  # audited writes beyond the import's
    files: int  # attachments
    file_kb: int


SCALES = {
    "small": Scale(nodes=5_000, events=5_000, files=200, file_kb=64),
    "full": Scale(nodes=50_000, events=100_000, files=2_000, file_kb=256),
}
BATCH = 1_000  # audited writes per transaction


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    note(f"database: {connection.vendor}; {scale}")
    for folder in (settings.MEDIA_ROOT, settings.BACKUP_DIR):
        shutil.rmtree(folder, ignore_errors=True)
    for path in settings.AUDIT_WITNESS:  # the last run's heads: this database starts anew
        path.unlink(missing_ok=True)
    city = OrgUnit.objects.get(parent__isnull=True)
    admin = make_user("bench-city-admin", city, "city_admin")
    build_tree(admin, city, scale.nodes)
    units = list(OrgUnit.objects.order_by("pk")[: scale.files])
    start = time.perf_counter()
    for n in range(0, scale.events, BATCH):
        with transaction.atomic():
            for i in range(n, min(n + BATCH, scale.events)):
                record(actor=admin, action="orgs.update", obj=units[i % len(units)])
    payload = bytes(range(256)) * (scale.file_kb * 4)
    for i, unit in enumerate(units):
        upload = SimpleUploadedFile(f"材料{i}.pdf", b"%PDF-1.4 " + str(i).encode() + payload)
        attachment_store(owner=unit, org_unit=unit, upload=upload, actor=admin)
    checkpoint_all()  # the worker's minute: heads signed and witnessed
    note(f"audited writes and attachments: {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    written = sets.create(settings.BACKUP_DIR)
    backup_s = time.perf_counter() - start
    size_mb = written.size / 1e6
    start = time.perf_counter()
    report = drill.run(sets.load(written.path))
    drill_s = time.perf_counter() - start
    for line in report.lines[:4] + report.notes + report.problems:
        note(line)
    yield comparison("backup.set_size", size_mb, "MB", "files", len(written.stored))
    yield comparison("backup.backup_time", backup_s, "s", "mb_per_s", size_mb / backup_s)
    yield comparison("backup.drill_time", drill_s, "s", "ratio_to_backup", drill_s / backup_s)
    yield figure(
        "backup.drill_problems",
        len(report.problems),
        "problems",
        "problems",
        len(report.problems),
        0,
    )
