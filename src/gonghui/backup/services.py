"""The backups' audit events, in the live database's platform stream: a set written, a set
restored (recorded in the restored database, after the restore), a drill run."""

from django.db import transaction

from gonghui.audit.actions import Action
from gonghui.audit.models import AuditEvent
from gonghui.audit.services import record
from gonghui.backup import sets
from gonghui.backup.drill import DrillReport


def _set_event(action: Action, path, changes: dict) -> AuditEvent:
    return record(
        actor=None,
        action=action,
        object_type="backup.set",
        object_id=path.name,
        changes={"manifest_sha256": [None, sets.sha256_of(path / sets.MANIFEST)], **changes},
    )


@transaction.atomic
def backup_record(*, manifest: sets.Manifest) -> AuditEvent:
    """A set written (its manifest's SHA-256: compare a set with the log)."""
    return _set_event(
        Action.BACKUP_CREATE,
        manifest.path,
        {
            "size": [None, manifest.size],
            "files": [None, len(manifest.stored)],
            "missing": [None, len(manifest.missing)],
        },
    )


@transaction.atomic
def restore_record(*, manifest: sets.Manifest, files: int) -> AuditEvent:
    return _set_event(Action.BACKUP_RESTORE, manifest.path, {"files_written": [None, files]})


@transaction.atomic
def drill_record(*, report: DrillReport) -> AuditEvent:
    return _set_event(
        Action.BACKUP_DRILL,
        report.path,
        {
            "result": [None, "ok" if report.ok else "failed"],
            "problems": [None, len(report.problems)],
        },
    )
