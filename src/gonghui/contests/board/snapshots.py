"""The live board as data: what a snapshot holds, read from the database in a handful of
queries, and the stored snapshot as every reader gets it (``Snapshot``).

Two boards per snapshot:

* ``public``: only what ``visibility.public_results()`` lets the public see (a frozen
  result is not in it: not its score, not its place, not whether it advanced, not even a
  placeholder row), as stages, entrants' numbers, names and employers, the score as shown
  (``scoring.shown``), the place and whether the entrant advanced; and whether the board
  is frozen;
* ``staff``: every current result (locked or not, revealed or not), for the true board.

The services write the versions (``services.snapshot_refresh``); the selectors and the
stream server read them (``latest``). A competition viewed before its first snapshot gets
its board stored as version 0 by the first viewer (``initial``: derived data, no event), so
later viewers and other processes read it in one query instead of building it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from time import monotonic

from django.core.cache import cache
from django.db import IntegrityError, transaction

from gonghui.contests import scoring
from gonghui.contests.models import BoardSnapshot, Competition, Result, Stage
from gonghui.contests.records import entrant_key
from gonghui.contests.visibility import public_results

MAX_ID = 2**31 - 1  # the largest id a database integer column holds


def canonical(data) -> str:
    """The one JSON text of a board (sorted keys, no spaces, Chinese as is)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot as readers use it: the version, the two boards as JSON text and
    parsed. Built once per change per process and shared by every viewer."""

    competition_id: int
    version: int
    public_json: str
    staff_json: str
    public: dict = field(compare=False, repr=False)
    staff: dict = field(compare=False, repr=False)

    @classmethod
    def of(cls, competition_id: int, version: int, public_json: str, staff_json: str):
        return cls(
            competition_id,
            version,
            public_json,
            staff_json,
            json.loads(public_json),
            json.loads(staff_json),
        )

    @property
    def etag(self) -> str:
        return f'"{self.competition_id}-{self.version}"'


def _shown(score: str) -> str:
    try:
        return str(scoring.shown(Decimal(score)))
    except (InvalidOperation, ValueError):
        return score


def _row(result: Result, *, staff: bool) -> dict:
    entrant = result.entrant
    row = {
        "number": entrant_key(entrant.number),
        "name": entrant.person.name,
        "employer": entrant.employer.name,
        "score": _shown(result.score),
        "place": result.place,
        "advanced": result.advanced,
    }
    if staff:
        row["locked"] = result.locked_at is not None
        row["revealed"] = result.revealed_at is not None
    return row


def _results(queryset, competition_id: int):
    return (
        queryset.filter(stage__competition_id=competition_id)
        .select_related("entrant__person", "entrant__employer")
        .order_by("stage__order", "place", "entrant__number")
    )


def build(competition_id: int) -> tuple[dict, dict] | None:
    """The public and the staff board of a competition, as they stand (without the
    version); None if there is no such competition."""
    competition = (
        Competition.objects.filter(pk=competition_id)
        .select_related("programme", "trade")
        .only("id", "name", "frozen_at", "status", "programme__name", "trade__name")
        .first()
    )
    if competition is None:
        return None
    stages = list(
        Stage.objects.filter(competition_id=competition_id)
        .order_by("order")
        .values("id", "order", "name", "kind")
    )
    public = {s["id"]: [] for s in stages}
    staff = {s["id"]: [] for s in stages}
    for result in _results(public_results(), competition_id):
        public[result.stage_id].append(_row(result, staff=False))
    for result in _results(Result.objects.filter(superseded_by__isnull=True), competition_id):
        staff[result.stage_id].append(_row(result, staff=True))
    head = {
        "competition": competition.pk,
        "name": competition.name,
        "programme": competition.programme.name,
        "trade": competition.trade.name,
        "frozen": competition.frozen_at is not None,
        # A competition still in preparation has no public board (its name is not public
        # yet): the public readers refuse it (``published``).
        "published": competition.status != Competition.Status.DRAFT,
    }

    def board(rows: dict) -> dict:
        return head | {
            "stages": [
                {
                    "order": s["order"],
                    "name": s["name"],
                    "kind": s["kind"],
                    "results": rows[s["id"]],
                }
                for s in stages
            ]
        }

    return board(public), board(staff)


def with_version(board: dict, version: int) -> dict:
    return board | {"version": version}


def latest(competition_id: int) -> Snapshot | None:
    """The competition's latest stored snapshot (one query)."""
    row = (
        BoardSnapshot.objects.filter(competition_id=competition_id)
        .order_by("-version")
        .values_list("version", "public", "staff")
        .first()
    )
    return Snapshot.of(competition_id, *row) if row else None


def latest_public(competition_id: int) -> tuple[int, str] | None:
    """The latest snapshot's version and public board only (what the stream server sends:
    it never reads the staff board)."""
    return (
        BoardSnapshot.objects.filter(competition_id=competition_id)
        .order_by("-version")
        .values_list("version", "public")
        .first()
    )


def initial(competition_id: int) -> Snapshot | None:
    """A competition with no snapshot yet: its board as it stands, stored as version 0 (the
    first refresh stores 1); None if there is no such competition. Two first viewers at
    once: the unique (competition, version) keeps one, the other reads what is stored."""
    boards = build(competition_id)
    if boards is None:
        return None
    public, staff = (canonical(with_version(b, 0)) for b in boards)
    try:
        with transaction.atomic():
            BoardSnapshot.objects.create(
                competition_id=competition_id, version=0, public=public, staff=staff
            )
    except IntegrityError:
        return latest(competition_id)
    return Snapshot.of(competition_id, 0, public, staff)


def published(board_json: str) -> bool:
    """Whether a stored public board may be shown: not a competition in preparation."""
    return json.loads(board_json).get("published", True)


def valid_id(competition_id: int) -> bool:
    """Whether ``competition_id`` can be a competition's (a database integer): any other is
    no competition, answered without a query (and without the database's overflow)."""
    return 1 <= competition_id <= MAX_ID


# --- The cache every reader goes through ------------------------------------------------
#
# Two layers. The shared one is Django's cache (Redis in production), keyed by competition
# and holding the latest snapshot's version and both boards' JSON; ``services`` puts each
# new snapshot there once it commits, so it is replaced (invalidated) by the next version.
# In front of it, this process's memory keeps the parsed snapshot for ``LOCAL_SECONDS``: a
# warm page view or board.json costs no query at all, even where the shared cache is the
# database's own table (SQLite, no Redis). A page may so be one second behind: the stream
# (or board.json's polling) brings it up to date. The shared entry lives
# ``SHARED_SECONDS``: were it ever left behind (two processes putting versions at once),
# it is read again from the database soon; and a process never takes an entry older than
# the copy it holds. A competition found missing is remembered here for ``MISSING_SECONDS``
# (at most ``MISSING_MAX`` of them): a flood of made-up ids costs one query each, once.

LOCAL_SECONDS = 1.0
SHARED_SECONDS = 30
MISSING_SECONDS = 2.0
MISSING_MAX = 1024
_local: dict[int, tuple[float, Snapshot]] = {}
_missing: dict[int, float] = {}


def cache_key(competition_id: int) -> str:
    return f"contests:board:{competition_id}"


def remember(snapshot: Snapshot, *, shared: bool = True) -> None:
    """Keep ``snapshot`` as the competition's latest: here, and in the shared cache (never
    over a newer version)."""
    _missing.pop(snapshot.competition_id, None)
    held = _local.get(snapshot.competition_id)
    if held is None or held[1].version <= snapshot.version:
        _local[snapshot.competition_id] = (monotonic(), snapshot)
    if shared:
        entry = cache.get(cache_key(snapshot.competition_id))
        if entry is None or entry[0] <= snapshot.version:
            cache.set(
                cache_key(snapshot.competition_id),
                (snapshot.version, snapshot.public_json, snapshot.staff_json),
                timeout=SHARED_SECONDS,
            )


def _missed(competition_id: int) -> None:
    if len(_missing) >= MISSING_MAX:
        now = monotonic()
        for key in [k for k, at in _missing.items() if now - at >= MISSING_SECONDS]:
            del _missing[key]
        if len(_missing) >= MISSING_MAX:
            _missing.clear()
    _missing[competition_id] = monotonic()


def recall(competition_id: int) -> Snapshot | None:
    """The competition's latest snapshot through the two caches, from the database only
    when both are cold (then kept in both; before the first snapshot, the board is stored
    as version 0); None if there is no such competition."""
    if not valid_id(competition_id):
        return None
    now = monotonic()
    missed = _missing.get(competition_id)
    if missed is not None and now - missed < MISSING_SECONDS:
        return None
    held = _local.get(competition_id)
    if held is not None and now - held[0] < LOCAL_SECONDS:
        return held[1]
    entry = cache.get(cache_key(competition_id))
    if entry is not None:
        if held is not None and held[1].version >= entry[0]:
            snapshot = held[1]  # never back to an older version
            if snapshot.version > entry[0]:
                remember(snapshot)  # the shared entry was left behind: put it right
        else:
            snapshot = Snapshot.of(competition_id, *entry)
        _local[competition_id] = (now, snapshot)
        return snapshot
    snapshot = latest(competition_id) or initial(competition_id)
    if snapshot is None:
        _missed(competition_id)
        return None
    remember(snapshot)
    return snapshot


def forget_local() -> None:
    """Drop this process's copies (tests)."""
    _local.clear()
    _missing.clear()
