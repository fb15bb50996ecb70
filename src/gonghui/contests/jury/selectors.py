"""Reads of the public jury: the programme's jurors and their votes (staff), a stage's
voting progress and who counts (``engine.public_scores``), and the juror's own voting page
(by their pass)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from gonghui.common.errors import Conflict, NotFound
from gonghui.common.schemas import MAX_ID
from gonghui.contests import engine, records, scoring
from gonghui.contests.engine import canonical_number
from gonghui.contests.jury import passes
from gonghui.contests.models import Entrant, Judge, Programme, Recusal, Stage, StageEntry, Vote
from gonghui.contests.records import entrant_key, juror_key
from gonghui.contests.scoring import SchemeError
from gonghui.orgs import access

SORTS = {
    "name": "name",
    "-name": "-name",
    "votes": "votes_cast",
    "-votes": "-votes_cast",
    "seated": "seated",
    "-seated": "-seated",
}


def _pk(pk) -> int:
    """An id from an address: one no row can have is NotFound here (SQLite cannot even
    bind it)."""
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise NotFound()
    return pk


def programme_get(actor, pk: int) -> Programme:
    """A programme the actor may see (else NotFound: absent and out of scope alike)."""
    return access.get_or_404(
        Programme.objects.select_related("org_unit"), actor, "contests.view", pk=_pk(pk)
    )


def may_manage(actor, programme: Programme) -> bool:
    return access.can_at(actor, "contests.manage", programme.org_unit)


def _public(stage: Stage) -> dict:
    """The public part of the stage's scheme (empty: the stage takes no public votes)."""
    return (stage.scheme or {}).get("public") or {}


def public_max(stage: Stage) -> str | None:
    """The top of a vote on ``stage`` (None: the stage takes no public votes)."""
    public = _public(stage)
    try:
        scoring.mark(public.get("max"))
    except SchemeError:
        return None
    return str(public["max"])


def _counted(stage: Stage, votes: list[dict], entrants: list[str]) -> set[str]:
    """The jurors whose votes count (the rule is ``scoring.counted_jurors``, as
    ``engine.public_scores`` applies it; the engine does not return who counted)."""
    cast: dict[str, dict[str, str]] = defaultdict(dict)
    for v in votes:
        if not v["late"]:
            cast[v["juror"]][v["entrant"]] = v["value"]
    return scoring.counted_jurors(cast, entrants, _public(stage).get("minimum"))


@dataclass
class JurorRow:
    juror: Judge
    votes: int
    late: int
    recusals: int
    stages_voted: int
    stages_counted: int


def juror_list(actor, programme: Programme, *, sort: str = "", q: str = "") -> list[JurorRow]:
    """The programme's public jurors: seated or not, votes cast (on time and late),
    recusals, and in how many of the stages they voted in their votes count."""
    programme_get(actor, programme.pk)
    jurors = (
        Judge.objects.filter(programme=programme, kind=Judge.Kind.PUBLIC)
        .select_related("employer")
        .annotate(
            votes_cast=Count("votes", filter=Q(votes__late=False), distinct=True),
            votes_late=Count("votes", filter=Q(votes__late=True), distinct=True),
            recusal_count=Count("recusals", distinct=True),
        )
        .order_by(SORTS.get(sort, "id"), "id")
    )
    if q:
        jurors = jurors.filter(name__icontains=q)
    voted: dict[int, set[int]] = defaultdict(set)
    counted: dict[int, set[int]] = defaultdict(set)
    stage_ids = (
        Vote.objects.filter(stage__competition__programme=programme)
        .values_list("stage_id", flat=True)
        .distinct()
    )
    for stage in Stage.objects.filter(pk__in=list(stage_ids)):
        votes, entrants = _stage_votes(stage)
        for v in votes:
            voted[int(v["juror"][1:])].add(stage.pk)
        for key in _counted(stage, votes, entrants):
            counted[int(key[1:])].add(stage.pk)
    return [
        JurorRow(
            juror=j,
            votes=j.votes_cast,
            late=j.votes_late,
            recusals=j.recusal_count,
            stages_voted=len(voted[j.pk]),
            stages_counted=len(counted[j.pk]),
        )
        for j in jurors
    ]


def _stage_votes(stage: Stage) -> tuple[list[dict], list[str]]:
    """The stage's votes and entrants as the engine reads them (``records.stage_record``)."""
    record = records.stage_record(stage)
    return record["votes"], record["entrants"]


def juror_get(actor, pk: int) -> Judge:
    """A public juror of a programme the actor may see."""
    return access.get_or_404(
        Judge.objects.select_related("programme__org_unit", "employer"),
        actor,
        "contests.view",
        via="programme__org_unit",
        pk=_pk(pk),
        kind=Judge.Kind.PUBLIC,
    )


def juror_pass(actor, juror: Judge) -> str:
    """A fresh voting pass of a seated juror, for staff to show again (staff who manage the
    programme only); writes nothing."""
    access.require_at(actor, "contests.manage", juror.programme.org_unit, view_perm="contests.view")
    if not juror.seated:
        raise Conflict("该评委尚未入座，请先入座")
    return passes.issue(juror.pk, juror.pass_count)


@dataclass
class JurorProgress:
    key: str
    juror: Judge
    votes: int
    late: int
    counted: bool


@dataclass
class StageVotes:
    stage: Stage
    maximum: str | None
    minimum: int | None
    entrants: int
    jurors: list[JurorProgress]
    votes: int
    late: int
    counted: int
    scores: list[tuple[str, str]] = field(default_factory=list)
    open_now: bool = False


def stage_get(actor, pk: int) -> Stage:
    return access.get_or_404(
        Stage.objects.select_related("competition__org_unit", "competition__programme"),
        actor,
        "contests.view",
        via="competition__org_unit",
        pk=_pk(pk),
    )


def stage_votes(actor, pk: int) -> StageVotes:
    """A stage's public voting: votes per juror (on time, late and refused), who counts
    (every entrant voted on, or the scheme's minimum), and the public part per entrant."""
    stage = stage_get(actor, pk)
    votes, entrants = _stage_votes(stage)
    counted = _counted(stage, votes, entrants)
    per = Counter(v["juror"] for v in votes if not v["late"])
    late = Counter(v["juror"] for v in votes if v["late"])
    jurors = Judge.objects.filter(
        programme_id=stage.competition.programme_id, kind=Judge.Kind.PUBLIC
    ).order_by("id")
    rows = [
        JurorProgress(
            key=juror_key(j.pk),
            juror=j,
            votes=per[juror_key(j.pk)],
            late=late[juror_key(j.pk)],
            counted=juror_key(j.pk) in counted,
        )
        for j in jurors
        if j.seated or juror_key(j.pk) in per or juror_key(j.pk) in late
    ]
    scores = engine.public_scores(stage.scheme or {}, votes, entrants)
    now = timezone.now()
    return StageVotes(
        stage=stage,
        maximum=public_max(stage),
        minimum=_public(stage).get("minimum"),
        entrants=len(entrants),
        jurors=rows,
        votes=sum(per.values()),
        late=sum(late.values()),
        counted=len(counted),
        scores=[(e, canonical_number(scores[e])) for e in entrants if e in scores],
        open_now=bool(
            stage.votes_open_at
            and stage.votes_close_at
            and stage.votes_open_at <= now < stage.votes_close_at
        ),
    )


# --- The juror's phone -------------------------------------------------------------------


@dataclass
class Ballot:
    """One entrant on the juror's page: their vote so far, or recused."""

    entrant_id: int
    number: str
    name: str
    vote: Vote | None
    recused: bool
    key: str = field(default_factory=lambda: uuid.uuid4().hex)  # this page's vote key


@dataclass
class VotingStage:
    stage: Stage
    maximum: str
    state: str  # "open", "soon", "closed"
    ballots: list[Ballot]
    buttons: list[int]

    @property
    def done(self) -> int:
        return sum(1 for b in self.ballots if b.vote is not None)


@dataclass
class VotePage:
    juror: Judge
    stages: list[VotingStage]


def juror_by_pass(token: str) -> Judge:
    """The juror a pass names (NotFound for a forged, expired, withdrawn or unknown
    pass)."""
    found = passes.read(token or "")
    juror = None
    if found is not None and 0 < found[0] <= MAX_ID:
        juror = (
            Judge.objects.filter(pk=found[0], kind=Judge.Kind.PUBLIC, pass_count=found[1])
            .select_related("programme")
            .first()
        )
    if juror is None:
        raise NotFound("投票凭证无效、已过期或已作废，请向工作人员重新领取")
    return juror


def vote_page(token: str) -> VotePage:
    """The stages of the juror's programme that take public votes, each with its entrants
    and the juror's own votes."""
    juror = juror_by_pass(token)
    now = timezone.now()
    stages = (
        Stage.objects.filter(
            competition__programme_id=juror.programme_id,
            votes_open_at__isnull=False,
            votes_close_at__isnull=False,
        )
        .select_related("competition")
        .order_by("votes_open_at", "pk")
    )
    mine = {(v.stage_id, v.entrant_id): v for v in Vote.objects.filter(juror=juror)}
    recused = set(Recusal.objects.filter(judge=juror).values_list("entrant_id", flat=True))
    if juror.employer_id is not None:  # an entrant who registered after the juror too
        recused |= set(
            Entrant.objects.filter(
                competition__programme_id=juror.programme_id, employer_id=juror.employer_id
            ).values_list("pk", flat=True)
        )
    voting = [(stage, public_max(stage)) for stage in stages]
    voting = [(stage, maximum) for stage, maximum in voting if maximum is not None]
    entries: dict[int, list[StageEntry]] = defaultdict(list)
    for e in (
        StageEntry.objects.filter(stage__in=[stage for stage, _ in voting])
        .select_related("entrant__person")
        .order_by("entrant__number")
    ):
        entries[e.stage_id].append(e)
    out = []
    for stage, maximum in voting:
        state = (
            "soon"
            if now < stage.votes_open_at
            else "open"
            if now < stage.votes_close_at
            else "closed"
        )
        ballots = [
            Ballot(
                entrant_id=e.entrant_id,
                number=entrant_key(e.entrant.number),
                name=e.entrant.person.name,
                vote=mine.get((stage.pk, e.entrant_id)),
                recused=e.entrant_id in recused,
            )
            for e in entries[stage.pk]
        ]
        top = scoring.mark(maximum)
        buttons = list(range(int(top) + 1)) if top == int(top) and top <= 10 else []
        out.append(VotingStage(stage, maximum, state, ballots, buttons))
    return VotePage(juror=juror, stages=out)


def entrants_of(actor, programme: Programme):
    """The entrants of the programme's competitions (a juror may declare a relation)."""
    programme_get(actor, programme.pk)
    return (
        Entrant.objects.filter(competition__programme=programme)
        .select_related("person", "competition")
        .order_by("competition_id", "number")
    )
