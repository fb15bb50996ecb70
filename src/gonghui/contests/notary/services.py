"""The notarised record's writes: a milestone's signed checkpoint, a notary's registration
(their OWN Ed25519 public key: the platform never sees the private key), the notary's
countersignature, and the competition's bundle.

A milestone (``signals.milestone_reached``, sent after the write that reached it commits)
records its event in the competition's stream, has the stream's head signed as a checkpoint
(``audit.services.checkpoint_sign``: refused over a tampered stream, and then no milestone
is made) and keeps that checkpoint (seq, head, time) as a ``Milestone`` for the notary to
countersign. The countersigned bytes are ``verify_contest.countersign_message``: the same
function the stand-alone verifier checks them with."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import checkpoint_sign, export_bundle, record
from gonghui.audit.verifier import _decode_point, canonical, fingerprint
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.contests import events
from gonghui.contests.models import Competition, Milestone, Notary, Programme
from gonghui.contests.notary import selectors
from gonghui.orgs import access

log = logging.getLogger("gonghui.contests.notary")

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX128 = re.compile(r"[0-9a-f]{128}")
EXPORT_ATTEMPTS = 3  # the record and the signed head must be one moment (see record_export)


# --- Milestones ----------------------------------------------------------------------------


def milestone_sign(*, competition_id: int, name: str) -> Milestone | None:
    """A milestone of the competition's record: its event, then a signed checkpoint of the
    stream's head, kept as a ``Milestone``. Run after the write that reached the milestone
    commits (``receivers``); the checkpoint is signed outside any open transaction, as the
    audit's signer writes the witness files only after its own commit. A refused signature
    (the stream or a witness contradicts what was signed) is logged and makes no milestone."""
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationFailed({"name": "请填写节点名称"})
    with transaction.atomic():
        competition = Competition.objects.filter(pk=competition_id).first()
        if competition is None:
            raise NotFound()
        competition = events.locked(competition)
        events.event(None, competition, Action.CONTESTS_MILESTONE, changes={"name": [None, name]})
    signed = checkpoint_sign(stream=competition.stream)
    if signed is None:
        log.error(
            "contests: milestone %s of competition %s not signed: the checkpoint of %s was "
            "refused (the audit head's problems are logged above)",
            name,
            competition.pk,
            competition.stream,
        )
        return None
    with transaction.atomic():
        milestone = (
            Milestone.objects.select_for_update()
            .filter(competition=competition, seq=signed.seq)
            .first()
        )
        if milestone is None:
            return Milestone.objects.create(
                competition=competition,
                name=name,
                seq=signed.seq,
                head=signed.head,
                time=signed.time,
            )
        # Two milestones reached together share one checkpoint: one name for both, while
        # the notary has not signed it yet (the name is part of what they sign).
        if milestone.countersigned_at is None and name not in milestone.name.split("、"):
            milestone.name = f"{milestone.name}、{name}"[:60]
            milestone.save(update_fields=["name"])
        return milestone


# --- The notary ----------------------------------------------------------------------------


def _public_key(text) -> str:
    """The notary's Ed25519 public key as 64 lower-case hex digits, checked to be one."""
    value = "".join(str(text or "").split()).lower()
    if not HEX64.fullmatch(value):
        raise ValidationFailed({"public_key": "公钥应为 64 位十六进制（Ed25519 公钥的 32 个字节）"})
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
    except ValueError:
        raise ValidationFailed({"public_key": "不是有效的 Ed25519 公钥"}) from None
    # As the stand-alone verifier will decode it: a key that is no point of the curve
    # would make every countersignature fail there.
    if _decode_point(bytes.fromhex(value)) is None:
        raise ValidationFailed({"public_key": "不是有效的 Ed25519 公钥"})
    return value


def notary_register(
    *, actor, programme: Programme, user, name: str, office: str, public_key: str
) -> Notary:
    """Register ``user`` as the programme's notary (公证员) with THEIR OWN public key
    (``gonghui contests notary-keygen`` on their machine prints it). Staff with
    ``contests.manage`` at the organiser. The registration is an event of every
    competition of the programme (the bundle's verifier matches the key with it), or of
    the platform's stream when the programme has none yet."""
    grant = access.require_at(
        actor, "contests.manage", programme.org_unit, view_perm="contests.view"
    )
    problems = {}
    name, office = (name or "").strip(), (office or "").strip()
    if not name:
        problems["name"] = "请填写公证员姓名"
    elif len(name) > 60:
        problems["name"] = "公证员姓名最多 60 个字"
    if not office:
        problems["office"] = "请填写公证机构"
    elif len(office) > 120:
        problems["office"] = "公证机构最多 120 个字"
    if user is None or not getattr(user, "is_active", False):
        problems["user"] = "请选择公证员本人的有效账号"
    try:
        public_key = _public_key(public_key)
    except ValidationFailed as exc:
        problems |= exc.fields
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        if Notary.objects.filter(programme=programme, user=user).exists():
            raise ValidationFailed({"user": "该账号已是本项目的公证员"})
        notary = Notary.objects.create(
            programme=programme, user=user, name=name, office=office, public_key=public_key
        )
        changes = {
            "programme": [None, programme.pk],
            "user": [None, user.get_username()],
            "name": [None, name],
            "office": [None, office],
            "public_key": [None, public_key],
            "fingerprint": [None, fingerprint(public_key)],
        }
        competitions = list(Competition.objects.filter(programme=programme).order_by("id"))
        for competition in competitions:
            events.event(
                actor,
                competition,
                Action.CONTESTS_NOTARY_REGISTER,
                obj=notary,
                changes=changes,
                post_id=grant.post_id,
            )
        if not competitions:
            record(
                actor=actor,
                action=Action.CONTESTS_NOTARY_REGISTER,
                obj=notary,
                org_unit_id=programme.org_unit_id,
                changes=changes,
                post_id=grant.post_id,
            )
    return notary


def milestone_countersign(*, actor, milestone: Milestone, signature: str) -> Milestone:
    """The notary's countersignature of ``milestone``: their Ed25519 signature of
    ``verify_contest.countersign_message``, made on their own machine, checked with their
    registered public key before it is stored. Once only."""
    with transaction.atomic():
        milestone = (
            Milestone.objects.select_for_update()
            .select_related("competition")
            .filter(pk=milestone.pk)
            .first()
        )
        if milestone is None:
            raise NotFound()
        notary = selectors.notary_for(actor, milestone)
        value = "".join(str(signature or "").split()).lower()
        if not HEX128.fullmatch(value):
            raise ValidationFailed(
                {"signature": "签名应为 128 位十六进制（Ed25519 签名的 64 个字节）"}
            )
        if milestone.countersigned_at is not None:
            raise Conflict(f"公证节点「{milestone.name}」已于此前会签，不能再次会签")
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(notary.public_key)).verify(
                bytes.fromhex(value), selectors.message(milestone)
            )
        except (InvalidSignature, ValueError):
            raise ValidationFailed({"signature": "签名与公证员公钥不符"}) from None
        milestone.notary = notary
        milestone.countersignature = value
        milestone.countersigned_at = timezone.now()
        milestone.save(update_fields=["notary", "countersignature", "countersigned_at"])
        events.event(
            actor,
            milestone.competition,
            Action.CONTESTS_COUNTERSIGN,
            obj=milestone,
            changes={
                "milestone": [None, milestone.name],
                "seq": [None, milestone.seq],
                "head": [None, milestone.head],
                "notary": [None, notary.pk],
                "fingerprint": [None, fingerprint(notary.public_key)],
                "signature": [None, value],
            },
        )
    return milestone


# --- The bundle ----------------------------------------------------------------------------


def _snapshot(competition: Competition) -> dict:
    """What the bundle adds to the audit bundle, read in one transaction (one moment)."""
    with transaction.atomic():
        return {
            "record": selectors.record_data(competition),
            "milestones": selectors.milestone_lines(competition),
            "notaries": selectors.notaries_data(competition),
        }


def record_export(*, actor, competition: Competition, out) -> int:
    """Write the competition's notarised bundle (a zip) to the binary file ``out``; returns
    the number of events. ``actor`` None is the operator's command line (as ``gonghui
    audit export``); else staff with ``audit.export`` at the organiser, and the export is an
    ``audit.export`` event.

    The audit bundle of the competition's stream (``audit.services.export_bundle``: refused
    over a stream that does not verify, and it signs the head it ends at) is copied with the
    record, milestones and notaries read just before: when the stream moved in between (a
    mark landed), both are read again, so that record.json is exactly the stream's state
    at the bundle's signed end. Refused while the board is frozen. No outer transaction: the audit's signer commits its
    checkpoint before it writes the witness files."""
    grant = None
    if actor is not None:
        grant = access.require_at(
            actor, "audit.export", competition.org_unit, view_perm="contests.view"
        )
    if Competition.objects.filter(pk=competition.pk, frozen_at__isnull=False).exists():
        # The bundle carries every locked result: none leaks before the reveal.
        raise Conflict("封榜期间不导出公证数据包（其中含有尚未揭晓的成绩）：揭榜后再导出")
    for _ in range(EXPORT_ATTEMPTS):
        snapshot = _snapshot(competition)
        audit = io.BytesIO()
        count = export_bundle(stream=competition.stream, out=audit)
        if count == snapshot["record"]["seq"]:
            break
    else:
        raise Conflict("竞赛正在进行，记录变化过快，未能取得同一时刻的记录与签名链头：请稍后再导出")
    rules = selectors.rule_files()
    with (
        zipfile.ZipFile(io.BytesIO(audit.getvalue())) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "manifest.json":
                # The SHA-256 of the rules the bundle carries: which engine, scoring and
                # panels this platform runs, for the notary to compare with their copy.
                manifest = json.loads(data) | {
                    "rules": {
                        name: hashlib.sha256(body).hexdigest() for name, body in rules.items()
                    }
                }
                data = canonical(manifest).encode()
            elif item.filename in rules:
                continue  # written below, with the other rule files
            bundle.writestr(item, data)
        bundle.writestr(
            "milestones.jsonl", "".join(canonical(m) + "\n" for m in snapshot["milestones"])
        )
        bundle.writestr("notaries.json", canonical(snapshot["notaries"]))
        bundle.writestr("record.json", json.dumps(snapshot["record"], ensure_ascii=False))
        for name, body in rules.items():
            bundle.writestr(name, body)
    if actor is not None:
        record(
            actor=actor,
            action=Action.AUDIT_EXPORT,
            object_type="audit.stream",
            object_id=competition.stream,
            org_unit_id=competition.org_unit_id,
            post_id=grant.post_id,
        )
    return count
