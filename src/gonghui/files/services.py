"""Storing and serving attachments: type sniffed from content, size capped, scope checked."""

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.files import leftovers
from gonghui.files.models import Attachment, folder
from gonghui.orgs import access

log = logging.getLogger(__name__)

# Accepted kinds by their first bytes (never by the name or the browser's claim).
SIGNATURES = [
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"PK\x03\x04", "application/zip", (".docx", ".xlsx", ".zip")),
]
OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff(name: str, head: bytes) -> str:
    lower = name.lower()
    for magic, mime, suffixes in SIGNATURES:
        if head.startswith(magic):
            if not lower.endswith(suffixes):
                raise ValidationFailed({"file": "文件内容与扩展名不符"})
            return OFFICE_TYPES.get(lower[lower.rfind(".") :], mime)
    raise ValidationFailed({"file": "只接受 PDF、PNG、JPEG、Word (.docx)、Excel (.xlsx) 文件"})


def refuse_oversize(upload) -> None:
    """An upload over the platform's cap is refused, before anything reads it."""
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationFailed(
            {"file": f"文件过大：上限 {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB"}
        )


@transaction.atomic
def attachment_add(*, actor, owner, org_unit, upload) -> Attachment:
    """Attach ``upload`` (a Django UploadedFile) to ``owner``, a record at ``org_unit``."""
    grant = access.require_at(actor, "files.change", org_unit, view_perm="files.view")
    return attachment_store(
        actor=actor, owner=owner, org_unit=org_unit, upload=upload, post_id=grant.post_id
    )


def attachment_store(*, owner, org_unit, upload, actor=None, post_id=None) -> Attachment:
    """Store ``upload`` for ``owner`` after the caller's own check: staff through
    ``attachment_add``; the public's files with what they submit (e.g. an objection's
    evidence, filed without an account). Sniffed, capped and audited alike. The file is
    stored at once and its row written in the caller's transaction: a write refused after
    it leaves no file behind (``leftovers``, and ``attachments_sweep`` after a crash)."""
    guard = _OWNER_GUARDS.get(owner._meta.label_lower)
    if guard is not None:
        guard(owner)
    refuse_oversize(upload)
    if upload.size == 0:
        raise ValidationFailed({"file": "文件是空的"})
    head = upload.read(16)
    upload.seek(0)
    mime = sniff(upload.name, head)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        owner=owner,
        org_unit=org_unit,
        name=upload.name[-200:],
        mime_type=mime,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        created_at=timezone.now(),
    )
    attachment.file.save("upload", upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no row, no orphan file
        raise
    leftovers.note(attachment)
    record(
        actor=actor,
        action=Action.FILES_ADD,
        obj=attachment,
        post_id=post_id,
        changes={
            "name": [None, attachment.name],
            "sha256": [None, attachment.sha256],
            "owner": [None, f"{owner._meta.label_lower}:{owner.pk}"],
        },
    )
    return attachment


# Records of a kind that take no new attachments in some state: ``guard(owner)`` raises a
# DomainError saying why (a person's record merged into another), registered by its app.
_OWNER_GUARDS: dict[str, Callable[[object], None]] = {}


def owner_guard(model, guard: Callable[[object], None]) -> None:
    """Refuse new attachments to ``model``'s records that ``guard(owner)`` refuses."""
    _OWNER_GUARDS[model._meta.label_lower] = guard


# Who may read a kind of record's attachments, beyond files.view where they are filed:
# ``rule(actor, owner) -> bool`` by the record's label, registered by its app (``owner_rule``).
_OWNER_RULES: dict[str, Callable[[object, object], bool]] = {}


def owner_rule(model, rule: Callable[[object, object], bool]) -> None:
    """Keep ``model``'s attachments to those ``rule(actor, owner)`` admits, as its own page
    does (an objection's evidence: only the unit reviewing it), not to every post whose
    scope covers the unit they are filed at."""
    _OWNER_RULES[model._meta.label_lower] = rule


@transaction.atomic
def attachment_download(*, actor, pk) -> Attachment:
    """An attachment in scope, its file open for reading. Each download is audited: these
    are ID scans, clearance and medical documents."""
    attachment = access.get_or_404(
        Attachment.objects.select_related("org_unit", "content_type"), actor, "files.view", pk=pk
    )
    kind = attachment.content_type
    rule = _OWNER_RULES.get(f"{kind.app_label}.{kind.model}")
    if rule is not None and not rule(actor, attachment.owner):
        raise NotFound()
    attachment.file.open("rb")  # a file missing from storage fails here, before the event
    record(
        actor=actor,
        action=Action.FILES_DOWNLOAD,
        obj=attachment,
        post_id=access.grant_at(actor, "files.view", attachment.org_unit).post_id,
    )
    return attachment


def _of(owners) -> QuerySet[Attachment]:
    """The attachments of ``owners`` (records of one model)."""
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(owners[0]),
        object_id__in=[str(o.pk) for o in owners],
    )


def _visible(actor, owners):
    """The attachments of ``owners`` that ``actor`` may see, newest first."""
    return access.restrict(_of(owners), actor, "files.view").order_by("-created_at")


def attachment_list(*, actor, owner):
    return _visible(actor, [owner])


def attachments_of(*, actor, owners) -> list[tuple]:
    """Each of ``owners`` (records of one model) with the attachments ``actor`` may see,
    newest first: one query however many owners."""
    owners = list(owners)
    found: dict[str, list[Attachment]] = {}
    if owners:
        for attachment in _visible(actor, owners):
            found.setdefault(attachment.object_id, []).append(attachment)
    return [(owner, found.get(str(owner.pk), [])) for owner in owners]


# A stored file that no attachment names is left this long before the sweep deletes it:
# the transaction that stored it has ended by then, committed or not.
LEFTOVER_AGE = timedelta(hours=1)
# A crash leaves a file or a few; more in one folder at once means the database is behind
# the storage (restored from an older backup, or being restored), not that files leaked.
SWEEP_CAP = 100


def attachments_sweep(*, now=None) -> int:
    """Delete the stored files that no attachment names, an hour after they were stored:
    what a crash between storing a file and the end of its request leaves, or a write
    refused outside a request (a refused upload's file otherwise goes when its request
    ends: ``leftovers``). The worker runs this hourly over this month's folder and last
    month's, where uploads are stored (``models.folder``). Returns how many files went.

    Backups hold the database, not the files: against a database restored from an older
    backup (or empty while being restored) every later file looks like a leftover. So a
    folder is left alone, with an error logged, when no attachment names any file in it,
    or when more than ``SWEEP_CAP`` of its files would go in one run."""
    now = (now or timezone.now()).astimezone(UTC)
    storage = Attachment._meta.get_field("file").storage
    gone = 0
    for month in (folder(now.replace(day=1) - timedelta(days=1)), folder(now)):
        listed = [f"{month}/{name}" for name in _files_in(storage, month)]
        named = set(
            Attachment.objects.filter(file__startswith=f"{month}/").values_list("file", flat=True)
        )
        unnamed = [
            name
            for name in listed
            if name not in named and storage.get_modified_time(name) <= now - LEFTOVER_AGE
        ]
        if unnamed and named.isdisjoint(listed):
            log.error(
                "%s: no attachment names any of its %d files; not swept (a database restored "
                "or being restored? docs/operations.md, Backup and restore)",
                month,
                len(listed),
            )
        elif len(unnamed) > SWEEP_CAP:
            log.error(
                "%s: %d files no attachment names, over %d; not swept (a database restored "
                "from an older backup? docs/operations.md, Backup and restore)",
                month,
                len(unnamed),
                SWEEP_CAP,
            )
        else:
            for name in unnamed:
                storage.delete(name)
            gone += len(unnamed)
    return gone


def _files_in(storage, month: str) -> list[str]:
    try:
        return storage.listdir(month)[1]
    except FileNotFoundError:  # a month without uploads (S3 lists nothing instead)
        return []


def attachments_move(*, owners, org_unit) -> int:
    """Move the attachments of ``owners`` (records of one model) to ``org_unit``, for the
    service moving those records there, inside its transaction: a file is read in its own
    unit's scope, so it goes where its record goes. Returns how many moved."""
    owners = list(owners)
    return _of(owners).exclude(org_unit=org_unit).update(org_unit=org_unit) if owners else 0
