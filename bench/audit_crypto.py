"""Audit verification in the two algorithm suites (issue #21, point 8): ``audit verify``
over a stream hashed with SM3 and checkpointed with SM2 against the same stream with
SHA-256 and Ed25519, side by side in one run; target: SM within 3x.

Each stream is built with the body ``audit.services.record`` writes (``event_body``),
the chain hashed with the stream's suite, written in bulk, with a checkpoint signed every
``heads.CHECKPOINT_EVERY`` events by the suite's key, as the worker signs them; then
``verify_stream`` checks each, alternately, as ``gonghui audit verify`` does.
"""

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from gmalg import SM2
from measure import figure, note

from gonghui.audit import services
from gonghui.audit.heads import CHECKPOINT_EVERY
from gonghui.audit.models import AuditCheckpoint, AuditEvent
from gonghui.audit.verifier import GENESIS, checkpoint_message, link_hash
from gonghui.common.config import parse_keyring

SCALES = {"small": 50_000, "full": 1_000_000}
ROUNDS = 2  # verifications of each stream, alternating; the fastest counts
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
BATCH = 5_000


def run(scale_name: str) -> Iterator[str]:
    events = SCALES[scale_name]
    ring = settings.KEYS["GONGHUI_AUDIT_SIGNING_KEYS"]
    ed25519 = f"k1:{base64.b64encode(ring.current[1]).decode()}"
    sm2 = f"s1:sm2:{base64.b64encode(SM2().generate_keypair()[0]).decode()}"
    rings = {"intl": f"{ed25519},{sm2}", "sm": f"{sm2},{ed25519}"}
    timings = {}
    for suite in ("intl", "sm"):
        settings.KEYS = settings.KEYS | {
            ring.purpose: parse_keyring(ring.purpose, rings[suite], suite)
        }
        started = time.perf_counter()
        build(f"bench-{suite}", suite, events)
        note(f"{suite}: {events} events built in {time.perf_counter() - started:.0f} s")
        timings[suite] = []
    for _ in range(ROUNDS):
        for suite in ("intl", "sm"):
            started = time.perf_counter()
            report = services.verify_stream(f"bench-{suite}")
            timings[suite].append(time.perf_counter() - started)
            assert report.ok and report.events == events, report.problems
            note(
                f"{suite}: verified {report.events} events, {report.checkpoints} checkpoints "
                f"in {timings[suite][-1]:.1f} s"
            )
    intl, sm = min(timings["intl"]), min(timings["sm"])
    note(f"SHA-256+Ed25519 verify: {intl:.1f} s")
    yield figure("audit_crypto.verify_sm3_sm2", sm, "s", "ratio_to_sha256_ed25519", sm / intl, 3)


def build(stream: str, suite: str, count: int) -> None:
    """``count`` events of ``stream`` hashed with ``suite``, checkpointed as the worker does."""
    prev = GENESIS
    for first in range(1, count + 1, BATCH):
        rows, checkpoints = [], []
        for seq in range(first, min(first + BATCH, count + 1)):
            moment = START + timedelta(milliseconds=seq)
            body = services.event_body(
                stream=stream,
                seq=seq,
                time=moment,
                actor=(None, "", None),
                action="orgs.update",
                obj=("orgs.orgunit", str(seq % 977), None),
                changes={"name": [f"旧名称{seq}", f"新名称{seq}"]},
                ip="10.0.0.1",
                suite=suite,
            )
            value = link_hash(prev, body, suite)
            rows.append(
                AuditEvent(
                    stream=stream,
                    seq=seq,
                    prev_hash=prev,
                    hash=value,
                    body=body,
                    created_at=moment,
                    action="orgs.update",
                    object_type="orgs.orgunit",
                    object_id=str(seq % 977),
                    ip="10.0.0.1",
                    actor_name="",
                )
            )
            prev = value
            if seq % CHECKPOINT_EVERY == 0 or seq == count:
                time_ = (moment + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                kid, signature = services._sign(checkpoint_message(stream, seq, value, time_))
                checkpoints.append(
                    AuditCheckpoint(
                        stream=stream,
                        seq=seq,
                        head=value,
                        time=time_,
                        key_id=kid,
                        signature=signature,
                    )
                )
        with transaction.atomic():
            AuditEvent.objects.bulk_create(rows)
            AuditCheckpoint.objects.bulk_create(checkpoints)
