"""Reads of the notarised record: a competition's milestones (staff, scoped by the
organiser), a notary's own milestones (by their account: the notary holds no post), the
message a notary signs, and the record a bundle carries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from gonghui.audit import verifier
from gonghui.audit.models import AuditEvent
from gonghui.audit.verifier import fingerprint
from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.contests import engine, events, panels, scoring
from gonghui.contests.models import Competition, Mark, Milestone, Notary, Result, Stage
from gonghui.contests.notary import verify_contest
from gonghui.contests.notary.verify_contest import countersign_message
from gonghui.contests.records import entrant_key, stage_record
from gonghui.orgs import access

SORTS = {"seq": ["seq"], "-seq": ["-seq"], "time": ["time", "seq"], "-time": ["-time", "-seq"]}
MAX_ID = 2**31 - 1  # the largest id a database integer column holds
STATES = {
    "pending": {"countersigned_at__isnull": True},
    "done": {"countersigned_at__isnull": False},
}


def competition_get(*, actor, pk: int, perm: str = "contests.view") -> Competition:
    """The competition, if ``actor`` may ``perm`` it (NotFound to whoever cannot see it, and
    for an id no competition can have)."""
    if not 1 <= pk <= MAX_ID:
        raise NotFound()
    competition = (
        Competition.objects.select_related("org_unit", "programme__org_unit").filter(pk=pk).first()
    )
    if competition is None:
        raise NotFound()
    events.allowed(actor, competition, perm)
    return competition


def milestone_list(
    *, actor, competition_id: int, state: str = "", sort: str = ""
) -> QuerySet[Milestone]:
    """A competition's milestones, for staff who may see the competition."""
    return _milestones(competition_get(actor=actor, pk=competition_id), state, sort)


def _milestones(competition: Competition, state: str, sort: str) -> QuerySet[Milestone]:
    qs = Milestone.objects.filter(competition=competition).select_related("notary")
    qs = qs.filter(**STATES.get(state, {}))
    return qs.order_by(*SORTS.get(sort, ["seq"]))


@dataclass
class RecordPage:
    competition: Competition
    milestones: QuerySet[Milestone]
    notaries: list[tuple[Notary, str]]  # (notary, fingerprint of their key)
    may_export: bool
    may_manage: bool  # register a notary: at the programme's organiser, as the service checks


def record_page(*, actor, pk: int, state: str = "", sort: str = "") -> RecordPage:
    competition = competition_get(actor=actor, pk=pk)
    notaries = Notary.objects.filter(programme_id=competition.programme_id).order_by("id")
    return RecordPage(
        competition=competition,
        milestones=_milestones(competition, state, sort),
        notaries=[(n, fingerprint(n.public_key)) for n in notaries],
        may_export=access.can_at(actor, "audit.export", competition.org_unit),
        may_manage=access.can_at(actor, "contests.manage", competition.programme.org_unit),
    )


# --- The notary's own pages (by account) ----------------------------------------------------


@dataclass
class NotaryDesk:
    notary: Notary
    fingerprint: str
    pending: list[Milestone]
    done: list[Milestone]


def is_notary(user) -> bool:
    """Whether the account is the notary of some programme (the menu offers 公证)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Notary.objects.filter(user=user).exists()


def notary_desk(user) -> list[NotaryDesk]:
    """Each programme ``user`` is the notary of, with its milestones pending and done."""
    notaries = list(Notary.objects.filter(user=user).select_related("programme").order_by("id"))
    by_programme: dict[int, list[Milestone]] = {}
    for m in (
        Milestone.objects.filter(competition__programme_id__in={n.programme_id for n in notaries})
        .select_related("competition", "notary")
        .order_by("competition_id", "seq")
    ):
        by_programme.setdefault(m.competition.programme_id, []).append(m)
    return [
        NotaryDesk(
            notary=notary,
            fingerprint=fingerprint(notary.public_key),
            pending=[m for m in milestones if m.countersigned_at is None],
            done=[m for m in milestones if m.countersigned_at is not None],
        )
        for notary in notaries
        for milestones in [by_programme.get(notary.programme_id, [])]
    ]


def notary_for(user, milestone: Milestone) -> Notary:
    """The notary ``user`` is for the milestone's programme; NotFound for anyone else."""
    notary = (
        Notary.objects.filter(user=user, programme_id=milestone.competition.programme_id)
        .order_by("id")
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if notary is None:
        raise NotFound()
    return notary


def notary_milestone(user, pk: int) -> Milestone:
    """A milestone of a programme ``user`` is the notary of (NotFound otherwise)."""
    if not 1 <= pk <= MAX_ID:
        raise NotFound()
    milestone = Milestone.objects.select_related("competition", "notary").filter(pk=pk).first()
    if milestone is None:
        raise NotFound()
    notary_for(user, milestone)
    return milestone


def user_by_username(username: str):
    """The active account a notary registration names (a field's complaint if none)."""
    user = (
        get_user_model().objects.filter(username=(username or "").strip(), is_active=True).first()
    )
    if user is None:
        raise ValidationFailed({"username": "没有这个有效账号：请先为公证员开设账号"})
    return user


def notary_milestones(user) -> list[Milestone]:
    return [m for desk in notary_desk(user) for m in desk.pending + desk.done]


def message(milestone: Milestone) -> bytes:
    """What the notary signs for ``milestone`` (verify_contest.countersign_message)."""
    return countersign_message(
        competition=milestone.competition_id,
        milestone=milestone.name,
        stream=milestone.competition.stream,
        seq=milestone.seq,
        head=milestone.head,
        time=milestone.time,
    )


# --- What a bundle carries -----------------------------------------------------------------


def stream_head(competition: Competition) -> int:
    """The competition's stream's last seq (0 before its first event)."""
    last = (
        AuditEvent.objects.filter(stream=competition.stream)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return last or 0


def published_results(stage: Stage) -> list[list]:
    """The stage's current locked results, [entrant, score, place, advanced] by place."""
    rows = (
        Result.objects.filter(stage=stage, superseded_by__isnull=True, locked_at__isnull=False)
        .order_by("place", "entrant__number")
        .values_list("entrant__number", "score", "place", "advanced")
    )
    return [
        [entrant_key(number), score, place, advanced] for number, score, place, advanced in rows
    ]


def record_data(competition: Competition) -> dict:
    """record.json: every stage's record (``records.stage_record``, what the engine scores)
    with its name and published results, and the stream's head as read with them."""
    stages = []
    for stage in Stage.objects.filter(competition=competition).order_by("order"):
        record = stage_record(stage)
        # A mark's reason and batch (which the engine does not score, but its event
        # records): the verifier compares them too.
        extra = {
            pk: {"reason": reason, "batch": batch}
            for pk, reason, batch in Mark.objects.filter(stage=stage).values_list(
                "id", "reason", "batch_id"
            )
        }
        record["marks"] = [m | extra.get(m["id"], {}) for m in record["marks"]]
        stages.append(record | {"name": stage.name, "results": published_results(stage)})
    return {
        "competition": competition.pk,
        "name": competition.name,
        "stream": competition.stream,
        "seq": stream_head(competition),
        "stages": stages,
    }


def milestone_lines(competition: Competition) -> list[dict]:
    """milestones.jsonl: each milestone and its countersignature."""
    return [
        {
            "competition": competition.pk,
            "name": m.name,
            "stream": competition.stream,
            "seq": m.seq,
            "head": m.head,
            "time": m.time,
            "notary": m.notary_id,
            "countersignature": m.countersignature,
            "countersigned_at": m.countersigned_at.isoformat() if m.countersigned_at else None,
        }
        for m in Milestone.objects.filter(competition=competition).order_by("seq")
    ]


def notaries_data(competition: Competition) -> dict:
    """notaries.json: the programme's notaries (id -> name, office, public key, fingerprint)."""
    return {
        str(n.pk): {
            "name": n.name,
            "office": n.office,
            "public_key": n.public_key,
            "fingerprint": fingerprint(n.public_key),
        }
        for n in Notary.objects.filter(programme_id=competition.programme_id).order_by("id")
    }


# --- The files a notary keeps ----------------------------------------------------------------

RULE_MODULES = (verify_contest, verifier, scoring, engine, panels)


def rule_files() -> dict[str, bytes]:
    """What a notary keeps to verify bundles with (file name -> bytes): the stand-alone
    verifier, the audit verifier it checks the chain with, and the rules that score and
    draw (docs/notary.md). Every bundle carries copies, the public page offers them, and
    the bundle's manifest gives their SHA-256."""
    return {Path(m.__file__).name: Path(m.__file__).read_bytes() for m in RULE_MODULES}


def rule_fingerprints() -> list[tuple[str, str]]:
    """(file name, SHA-256) of each file a notary keeps."""
    return [(name, hashlib.sha256(body).hexdigest()) for name, body in rule_files().items()]
