"""The live board (网络直播): a snapshot per change with increasing versions, cached reads
that cost a warm viewer no query, the stream server (SSE, replay on reconnect, one
listener for every client), the chief referee's freeze / reveal-next / unfreeze in order,
and the staff's true board within scope. The leak test over every route is
test_freeze.py.

Results are laid down with the models directly (Result rows with ``locked_at`` /
``revealed_at``), as the ``results`` feature will lock them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common import live
from gonghui.common.errors import Conflict, NotFound
from gonghui.contests.board import selectors, services, snapshots, stream
from gonghui.contests.models import (
    BoardSnapshot,
    Competition,
    Entrant,
    Judge,
    Programme,
    Result,
    Stage,
)
from gonghui.contests.setup.services import competition_open
from gonghui.people.models import Trade, Unit
from tests.factories import PASSWORD, make_person, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
HIDDEN_SCORE = "93.1749"  # shown as 93.17: the hidden winner's, found nowhere public
HIDDEN_SHOWN = "93.17"
HIDDEN_NAME = "隐藏冠军"


# --- The world: a Chaoyang contest with a selection (public) and a final (frozen) -------


def _trade() -> Trade:
    return Trade.objects.filter(name="钳工").first() or Trade.objects.create(
        code="BD-01", name="钳工"
    )


def board_world(tree, users) -> SimpleNamespace:
    """A Chaoyang competition: the selection's results locked and public; then the board
    frozen, and the final's three results locked but hidden (third 80, second 85.5, first
    the distinctive 93.1749, who advanced); a member who is the hidden winner, and a judge."""
    now = timezone.now()
    programme = Programme.objects.create(
        name="朝阳工匠", year=2026, org_unit=tree.chaoyang, created_by=users.admin
    )
    competition = Competition.objects.create(
        programme=programme,
        org_unit=tree.chaoyang,
        trade=_trade(),
        name="朝阳工匠 · 钳工",
        status="running",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
    )
    selection = Stage.objects.create(
        competition=competition, order=1, kind="selection", name="选拔赛"
    )
    final = Stage.objects.create(competition=competition, order=2, kind="final", name="终极挑战赛")
    employer = Unit.objects.create(name="北京精密机床厂", org_unit=tree.cy_grass)
    names = ["王一", "李二", "张三", HIDDEN_NAME]
    entrants = []
    for number, name in enumerate(names, start=1):
        person = make_person(tree.cy_grass, name)
        entrants.append(
            Entrant.objects.create(
                competition=competition,
                person=person,
                number=number,
                age=30 + number,
                employer=employer,
                route="self",
            )
        )
    member = make_user("hidden_member", None, None)
    winner = entrants[3]
    type(winner.person).objects.filter(pk=winner.person_id).update(user=member)
    judge_user = make_user("board_judge", tree.cy_grass, "judge")
    judge = Judge.objects.create(programme=programme, kind="expert", name="裁判甲", user=judge_user)

    def result(stage, entrant, score, place, advanced, *, revealed):
        return Result.objects.create(
            stage=stage,
            entrant=entrant,
            score=score,
            place=place,
            advanced=advanced,
            scheme_version=1,
            computed_at=now,
            locked_at=now,
            revealed_at=now if revealed else None,
        )

    public = [
        result(selection, entrants[3], "88.0000", 1, True, revealed=True),
        result(selection, entrants[0], "77.5000", 2, True, revealed=True),
        result(selection, entrants[1], "66.2500", 3, True, revealed=True),
        result(selection, entrants[2], "55.0000", 4, False, revealed=True),
    ]
    Competition.objects.filter(pk=competition.pk).update(frozen_at=now)
    competition.refresh_from_db()
    hidden = [
        result(final, entrants[0], "80.0000", 3, False, revealed=False),
        result(final, entrants[1], "85.5000", 2, False, revealed=False),
        result(final, winner, HIDDEN_SCORE, 1, True, revealed=False),
    ]
    return SimpleNamespace(
        tree=tree,
        users=users,
        programme=programme,
        competition=competition,
        selection=selection,
        final=final,
        entrants=entrants,
        winner=winner,
        member=member,
        judge=judge,
        judge_user=judge_user,
        public=public,
        hidden=hidden,
    )


@pytest.fixture
def world(tree, users):
    snapshots.forget_local()
    yield board_world(tree, users)
    snapshots.forget_local()


def _final(board: dict) -> list[dict]:
    return next(s for s in board["stages"] if s["name"] == "终极挑战赛")["results"]


def _refresh(world) -> snapshots.Snapshot:
    return services.snapshot_refresh(world.competition.pk)


# --- Snapshots ----------------------------------------------------------------------------


def test_a_snapshot_holds_the_public_board_and_the_true_one(world):
    snap = _refresh(world)
    assert snap.version == 1
    public, staff = snap.public, snap.staff
    assert public["frozen"] is True and public["version"] == 1
    selection = public["stages"][0]["results"]
    assert [(r["number"], r["place"], r["score"]) for r in selection] == [
        ("004", 1, "88.00"),
        ("001", 2, "77.50"),
        ("002", 3, "66.25"),
        ("003", 4, "55.00"),
    ]
    assert selection[0]["name"] == HIDDEN_NAME and selection[0]["employer"] == "北京精密机床厂"
    assert _final(public) == []  # not a score, not a place, not a placeholder row
    assert HIDDEN_SHOWN not in snap.public_json and HIDDEN_SCORE not in snap.public_json
    true_final = _final(staff)
    assert [(r["number"], r["place"], r["score"], r["revealed"]) for r in true_final] == [
        ("004", 1, HIDDEN_SHOWN, False),
        ("002", 2, "85.50", False),
        ("001", 3, "80.00", False),
    ]


def test_versions_increase_with_each_change_and_only_then(
    world, django_capture_on_commit_callbacks
):
    first = _refresh(world)
    assert _refresh(world).version == first.version  # nothing changed: no new version
    with django_capture_on_commit_callbacks(execute=True):
        services.board_reveal_next(actor=world.users.cy, competition=world.competition)
    second = snapshots.latest(world.competition.pk)
    assert second.version == first.version + 1
    assert [r["number"] for r in _final(second.public)] == ["001"]  # third place, revealed
    with django_capture_on_commit_callbacks(execute=True):
        services.board_unfreeze(actor=world.users.cy, competition=world.competition)
    third = snapshots.latest(world.competition.pk)
    assert third.version == second.version + 1 and third.public["frozen"] is False
    assert list(
        BoardSnapshot.objects.filter(competition=world.competition).values_list(
            "version", flat=True
        )
    ) == [1, 2, 3]


def test_a_refresh_that_loses_the_race_for_a_version_takes_the_next(world, monkeypatch):
    """Two refreshes at once read the same latest version: the unique (competition,
    version) refuses the second, which builds again on the one stored."""
    _refresh(world)
    Result.objects.filter(pk=world.hidden[0].pk).update(revealed_at=timezone.now())
    real = snapshots.latest
    stale = real(world.competition.pk)
    calls = []

    def racing(competition_id):
        calls.append(1)
        if len(calls) == 1:  # a concurrent refresh stored version 2 meanwhile
            BoardSnapshot.objects.create(
                competition_id=competition_id, version=2, public="{}", staff="{}"
            )
            return stale
        return real(competition_id)

    monkeypatch.setattr(snapshots, "latest", racing)
    snap = _refresh(world)
    # Refused once, built again. (The racing row was made inside the refused attempt and
    # went with it, so the retry takes 2: committed elsewhere, it would take 3.)
    assert len(calls) == 2 and snap.version == 2
    assert snap.public["version"] == 2 and _final(snap.public)[0]["number"] == "001"


def test_the_unique_version_is_the_databases(world):
    _refresh(world)
    with pytest.raises(IntegrityError):
        BoardSnapshot.objects.create(competition=world.competition, version=1, public="", staff="")


def test_a_change_of_results_refreshes_the_board_after_commit(
    world, django_capture_on_commit_callbacks
):
    """``events.board_changed`` (what the results feature calls on a lock) is heard."""
    from gonghui.contests import events

    _refresh(world)
    Result.objects.filter(pk=world.public[3].pk).update(score="56.0000")
    with django_capture_on_commit_callbacks(execute=True):
        events.board_changed(world.competition)
    snap = snapshots.latest(world.competition.pk)
    assert snap.version == 2 and snap.public["stages"][0]["results"][3]["score"] == "56.00"
    # the caches hold it at once (this process, and the shared cache)
    assert snapshots.recall(world.competition.pk).version == 2


# --- Cached reads: a warm viewer costs no query --------------------------------------------


def test_a_warm_page_view_and_board_json_make_no_query(world, client, django_assert_num_queries):
    _refresh(world)
    pk = world.competition.pk
    snapshots.forget_local()
    assert client.get(f"/live/{pk}/").status_code == 200  # warms this process's memory
    with django_assert_num_queries(0):
        page = client.get(f"/live/{pk}/")
        overlay = client.get(f"/live/{pk}/overlay/")
        board = client.get(f"/live/{pk}/board.json")
        api = client.get(f"/api/v1/contests/competitions/{pk}/board")
    assert page.status_code == overlay.status_code == board.status_code == api.status_code == 200
    assert "王一" in page.content.decode() and "封榜中" in page.content.decode()
    assert board["ETag"] == f'"{pk}-1"' and board.json()["version"] == 1
    assert api.json() == board.json()
    with django_assert_num_queries(0):
        again = client.get(f"/live/{pk}/board.json", HTTP_IF_NONE_MATCH=board["ETag"])
    assert again.status_code == 304


def test_the_shared_cache_serves_a_cold_process_without_reading_snapshots(
    world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the shared cache gets it
        _refresh(world)
    snapshots.forget_local()  # another process: its memory is cold, the shared cache warm
    with django_assert_max_num_queries(1):  # the database cache's own read (none with Redis)
        assert selectors.public_board(pk=world.competition.pk).version == 1


def test_a_board_before_its_first_snapshot_is_built_live_as_version_0(world, client):
    response = client.get(f"/live/{world.competition.pk}/board.json")
    assert response.status_code == 200 and response.json()["version"] == 0
    assert HIDDEN_SHOWN not in response.content.decode()
    assert client.get("/live/999999/").status_code == 404
    assert client.get("/live/999999/board.json").status_code == 404


def test_a_competition_in_preparation_has_no_public_board(
    world, client, django_capture_on_commit_callbacks
):
    """Its name is not public yet (the join page refuses it too): 404 on every public
    reader until it opens, then its board appears."""
    competition = world.competition
    Competition.objects.filter(pk=competition.pk).update(  # in preparation, ready to open
        status="draft",
        rules_sha256="0" * 64,
        registration_closes_at=timezone.now() + timedelta(days=10),
    )
    competition.refresh_from_db()
    public = [
        f"/live/{competition.pk}/",
        f"/live/{competition.pk}/overlay/",
        f"/live/{competition.pk}/board.json",
        f"/api/v1/contests/competitions/{competition.pk}/board",
    ]
    for url in public:
        assert client.get(url).status_code == 404, url
    snapshots.forget_local()
    with django_capture_on_commit_callbacks(execute=True):
        competition_open(actor=world.users.admin, competition=competition)
    snapshots.forget_local()
    for url in public:
        assert client.get(url).status_code == 200, url


# --- Freeze, reveal, unfreeze ------------------------------------------------------------


def _events(world, action) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(changes=json.loads(body)["changes"])
        for body in AuditEvent.objects.filter(stream=world.competition.stream, action=action)
        .order_by("id")
        .values_list("body", flat=True)
    ]


def test_reveal_goes_stage_by_stage_from_the_last_place_up(world):
    order = []
    for _ in range(3):
        order.append(
            services.board_reveal_next(actor=world.users.cy, competition=world.competition)
        )
    assert [(r.stage_id, r.place) for r in order] == [
        (world.final.pk, 3),
        (world.final.pk, 2),
        (world.final.pk, 1),
    ]
    with pytest.raises(Conflict, match="没有待揭晓的成绩"):
        services.board_reveal_next(actor=world.users.cy, competition=world.competition)
    events = _events(world, "contests.board_reveal")
    assert [e.changes["entrant"] for e in events] == [[None, "001"], [None, "002"], [None, "004"]]
    assert all(e.changes["stage"] == [None, world.final.pk] for e in events)


def test_unfreeze_reveals_the_rest_in_order_and_clears_the_freeze(world):
    # A hidden result of an earlier stage comes first (the stages in order).
    Result.objects.filter(pk=world.public[3].pk).update(revealed_at=None)
    services.board_reveal_next(actor=world.users.cy, competition=world.competition)  # 003
    revealed = services.board_unfreeze(actor=world.users.cy, competition=world.competition)
    assert [(r.stage.order, r.place) for r in revealed] == [(2, 3), (2, 2), (2, 1)]
    times = [Result.objects.get(pk=r.pk).revealed_at for r in revealed]
    assert times == sorted(times) and len(set(times)) == 3
    world.competition.refresh_from_db()
    assert world.competition.frozen_at is None
    (event,) = _events(world, "contests.board_unfreeze")
    assert event.changes["revealed"][1] == [
        [world.final.pk, "001", 3],
        [world.final.pk, "002", 2],
        [world.final.pk, "004", 1],
    ]
    assert event.changes["frozen_at"][1] is None
    first = _events(world, "contests.board_reveal")[0]
    assert first.changes["entrant"] == [None, "003"]  # the selection's hidden one first


def test_freeze_twice_or_reveal_unfrozen_is_refused_and_writes_nothing(world):
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="已经封榜"):
        services.board_freeze(actor=world.users.cy, competition=world.competition)
    Competition.objects.filter(pk=world.competition.pk).update(frozen_at=None)
    world.competition.refresh_from_db()
    with pytest.raises(Conflict, match="未封榜"):
        services.board_reveal_next(actor=world.users.cy, competition=world.competition)
    with pytest.raises(Conflict, match="未封榜"):
        services.board_unfreeze(actor=world.users.cy, competition=world.competition)
    assert AuditEvent.objects.count() == before
    assert not Result.objects.filter(
        pk__in=[r.pk for r in world.hidden], revealed_at__isnull=False
    ).exists()
    frozen = services.board_freeze(actor=world.users.cy, competition=world.competition)
    assert frozen.frozen_at is not None
    (event,) = _events(world, "contests.board_freeze")
    assert event.changes["frozen_at"][0] is None


def test_only_the_chief_referee_scope_may_freeze(world):
    with pytest.raises(NotFound):
        services.board_freeze(actor=world.users.hd, competition=world.competition)
    # A post that may view the contests there but not referee them: refused, as such.
    viewer = make_user("cy_viewer", world.tree.chaoyang, "grassroots_staff")
    with pytest.raises(Exception) as refused:
        services.board_reveal_next(actor=viewer, competition=world.competition)
    assert type(refused.value).__name__ == "Forbidden"
    assert not Result.objects.filter(
        pk__in=[r.pk for r in world.hidden], revealed_at__isnull=False
    ).exists()


# --- Pages: the true board and its buttons ------------------------------------------------


def test_staff_see_the_true_board_and_referee_it(world, client, django_capture_on_commit_callbacks):
    _refresh(world)
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/contests/c/{world.competition.pk}/board/")
    text = page.content.decode()
    assert page.status_code == 200 and HIDDEN_SHOWN in text and "待揭晓" in text
    assert "揭晓下一项" in text and "解除封榜" in text
    staff_json = client.get(f"/contests/c/{world.competition.pk}/board.json")
    assert HIDDEN_SHOWN in staff_json.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        reveal = client.post(f"/contests/c/{world.competition.pk}/board/reveal/", follow=True)
    assert "已揭晓：终极挑战赛 第 3 名" in reveal.content.decode()
    public = client.get(f"/live/{world.competition.pk}/board.json").json()
    assert [r["number"] for r in _final(public)] == ["001"]
    with django_capture_on_commit_callbacks(execute=True):
        api = client.post(f"/api/v1/contests/competitions/{world.competition.pk}/board/unfreeze")
    assert api.status_code == 200
    assert [r["place"] for r in api.json()["revealed"]] == [2, 1]
    snapshots.forget_local()
    assert (
        _final(client.get(f"/live/{world.competition.pk}/board.json").json())[0]["score"]
        == HIDDEN_SHOWN
    )


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/contests/c/{pk}/board/"),
        ("get", "/contests/c/{pk}/board.json"),
        ("post", "/contests/c/{pk}/board/freeze/"),
        ("post", "/contests/c/{pk}/board/reveal/"),
        ("post", "/contests/c/{pk}/board/unfreeze/"),
        ("get", "/api/v1/contests/competitions/{pk}/board/staff"),
        ("post", "/api/v1/contests/competitions/{pk}/board/freeze"),
        ("post", "/api/v1/contests/competitions/{pk}/board/reveal"),
        ("post", "/api/v1/contests/competitions/{pk}/board/unfreeze"),
    ],
)
def test_another_districts_staff_get_404_and_change_nothing(world, client, method, url):
    _refresh(world)
    client.login(username="hd_staff", password=PASSWORD)
    before = AuditEvent.objects.count()
    response = getattr(client, method)(url.format(pk=world.competition.pk))
    assert response.status_code == 404
    assert HIDDEN_SHOWN not in response.content.decode()
    assert AuditEvent.objects.count() == before
    world.competition.refresh_from_db()
    assert world.competition.frozen_at is not None
    assert not Result.objects.filter(
        pk__in=[r.pk for r in world.hidden], revealed_at__isnull=False
    ).exists()


def test_the_public_pages_never_show_a_hidden_result(world, client):
    _refresh(world)
    for url in ("/live/{pk}/", "/live/{pk}/overlay/", "/live/{pk}/board.json"):
        text = client.get(url.format(pk=world.competition.pk)).content.decode()
        assert HIDDEN_SHOWN not in text and "85.50" not in text and "80.00" not in text
    assert _final(client.get(f"/live/{world.competition.pk}/board.json").json()) == []


def test_the_page_opens_the_stream_where_the_setting_says(world, client, settings):
    _refresh(world)
    pk = world.competition.pk
    page = client.get(f"/live/{pk}/")
    assert f'data-stream="/live/{pk}/events"' in page.content.decode()
    settings.BOARD_STREAM_URL = ":8001"  # make run: the same host, the stream's port
    page = client.get(f"/live/{pk}/", HTTP_HOST="127.0.0.1:8000")
    assert f'data-stream="http://127.0.0.1:8001/live/{pk}/events"' in page.content.decode()
    policy = page.get("Content-Security-Policy") or page["Content-Security-Policy-Report-Only"]
    assert "connect-src 'self' http://127.0.0.1:8001" in policy


# --- The stream server (in process, on the ASGI interface) ---------------------------------


class Client:
    """One SSE client of the ASGI app: what it was sent, and a way to leave."""

    def __init__(self, app, pk: int, headers=(), query=b""):
        self.sent: list[dict] = []
        self.gone = asyncio.Event()
        self.news = asyncio.Event()
        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/live/{pk}/events",
            "query_string": query,
            "headers": [(k.encode(), v.encode()) for k, v in headers],
        }
        self.task = asyncio.ensure_future(app(scope, self._receive, self._send))

    async def _receive(self):
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message):
        self.sent.append(message)
        self.news.set()

    @property
    def status(self):
        return next((m["status"] for m in self.sent if m["type"] == "http.response.start"), None)

    @property
    def body(self) -> str:
        return b"".join(
            m.get("body", b"") for m in self.sent if m["type"] == "http.response.body"
        ).decode()

    def events(self) -> list[tuple[int, dict]]:
        found = []
        for block in self.body.split("\n\n"):
            lines = dict(
                line.split(": ", 1)
                for line in block.splitlines()
                if ": " in line and not line.startswith(":")
            )
            if "data" in lines:
                found.append((int(lines["id"]), json.loads(lines["data"])))
        return found

    async def until(self, check, timeout=5.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():
            self.news.clear()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"not received in time: {self.body!r}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.news.wait(), left)

    async def leave(self):
        self.gone.set()
        await asyncio.wait_for(self.task, 5)


def _in_thread(fn):
    """A write from outside the event loop's thread, as another web process makes it."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return box.get("value")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_stream_replays_the_current_board_and_pushes_each_change(tree, users):
    world = board_world(tree, users)
    first = _refresh(world)
    pk = world.competition.pk

    async def scenario():
        hub = stream.Hub(source="poll", poll_seconds=0.05)
        app = live.StreamApp(hub, origins=["http://127.0.0.1:8000"])
        try:
            # An old Last-Event-ID: the current snapshot at once (a complete replay).
            old = Client(
                app, pk, headers=[("last-event-id", "0"), ("origin", "http://127.0.0.1:8000")]
            )
            await old.until(lambda: old.events())
            assert old.status == 200
            start = next(m for m in old.sent if m["type"] == "http.response.start")
            headers = dict(start["headers"])
            assert headers[b"content-type"].startswith(b"text/event-stream")
            assert headers[b"access-control-allow-origin"] == b"http://127.0.0.1:8000"
            assert old.events()[0][0] == first.version
            assert HIDDEN_SHOWN not in old.body
            # Up to date already (the page's own version): nothing until a change.
            fresh = Client(app, pk, query=f"since={first.version}".encode())
            strangers = Client(app, pk, headers=[("origin", "https://evil.example")])
            await fresh.until(lambda: fresh.status == 200)
            await strangers.until(lambda: strangers.events())
            assert fresh.events() == []
            start = next(m for m in strangers.sent if m["type"] == "http.response.start")
            assert b"access-control-allow-origin" not in dict(start["headers"])
            queries = hub.queries
            more = [Client(app, pk, headers=[("last-event-id", "0")]) for _ in range(20)]
            for c in more:
                await c.until(lambda c=c: c.events())
            assert hub.queries == queries  # twenty more viewers: not one query more
            # A reveal in another process: every client gets the new version.
            await asyncio.get_running_loop().run_in_executor(
                None,
                _in_thread,
                lambda: services.board_reveal_next(
                    actor=world.users.cy, competition=world.competition
                ),
            )
            # board_changed ran its refresh on commit, in that thread
            for c in [old, fresh, *more]:
                await c.until(lambda c=c: any(v == first.version + 1 for v, _ in c.events()))
            version, board = fresh.events()[-1]
            assert version == first.version + 1
            assert [r["number"] for r in _final(board)] == ["001"]
            assert HIDDEN_SHOWN not in fresh.body
            assert hub.clients == 23
            for c in [old, fresh, strangers, *more]:
                await c.leave()
            assert hub.clients == 0
            missing = Client(app, 999999)
            await missing.until(lambda: missing.status is not None)
            assert missing.status == 404
            await missing.task
        finally:
            await hub.stop()
            await asyncio.get_running_loop().run_in_executor(
                hub._executor, lambda: connection.close()
            )

    asyncio.run(scenario())


def _heard_within_a_second(world, source: str) -> None:
    """A stream server listening by ``source``: a reveal reaches its client well before the
    listener's own resync poll (5 s) could have found it."""
    _refresh(world)
    pk = world.competition.pk

    async def scenario():
        hub = stream.Hub(source=source)
        app = live.StreamApp(hub, origins=[])
        try:
            viewer = Client(app, pk, headers=[("last-event-id", "0")])
            await viewer.until(lambda: viewer.events())
            await asyncio.sleep(0.5)  # the listener has subscribed, its first poll is done
            version = viewer.events()[-1][0]
            await asyncio.get_running_loop().run_in_executor(
                None,
                _in_thread,
                lambda: services.board_reveal_next(
                    actor=world.users.cy, competition=world.competition
                ),
            )
            await viewer.until(lambda: viewer.events()[-1][0] == version + 1, timeout=2)
            await viewer.leave()
        finally:
            await hub.stop()
            await asyncio.get_running_loop().run_in_executor(
                hub._executor, lambda: connection.close()
            )

    asyncio.run(scenario())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_stream_hears_postgresql_notify(postgres, tree, users):
    _heard_within_a_second(board_world(tree, users), "postgres")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_stream_hears_redis_publish(redis_client, tree, users):
    _heard_within_a_second(board_world(tree, users), "redis")


# --- Review fixes: ids, caches, misses, version 0 -------------------------------------------

TOO_BIG = 10**24  # 25 digits: no database integer holds it


@pytest.mark.parametrize(
    "login, url",
    [
        (None, "/live/{pk}/"),
        (None, "/live/{pk}/overlay/"),
        (None, "/live/{pk}/board.json"),
        (None, "/api/v1/contests/competitions/{pk}/board"),
        ("cy_staff", "/contests/c/{pk}/board/"),
        ("cy_staff", "/contests/c/{pk}/board.json"),
        ("cy_staff", "/api/v1/contests/competitions/{pk}/board/staff"),
        ("cy_staff", "/contests/c/{pk}/record/"),
        ("cy_staff", "/api/v1/contests/competitions/{pk}/milestones"),
        ("cy_staff", "/notary/milestones/{pk}/countersign/"),
    ],
)
@pytest.mark.parametrize("pk", [TOO_BIG, 2**31, 0])
def test_an_id_no_competition_can_have_is_404_not_500(world, client, login, url, pk):
    client.raise_request_exception = False
    if login:
        client.login(username=login, password=PASSWORD)
    assert client.get(url.format(pk=pk)).status_code == 404


def test_the_stream_answers_404_for_an_id_no_competition_can_have():
    hub = stream.Hub(source="poll")
    hub.start = lambda: None

    async def scenario():
        app = live.StreamApp(hub, origins=[])
        viewer = Client(app, 10**11)  # twelve digits: past 2**31 - 1
        await viewer.until(lambda: viewer.status is not None)
        await viewer.task
        return viewer.status

    assert asyncio.run(scenario()) == 404
    assert hub.queries == 0 and hub._missing == {}


def test_the_shared_cache_never_takes_the_board_back_a_version(world, monkeypatch):
    """Two processes putting versions at once can leave the shared entry behind: a process
    holding a newer copy keeps it (and puts it back), and the entry expires soon anyway."""
    pk = world.competition.pk
    first = _refresh(world)
    Result.objects.filter(pk=world.hidden[0].pk).update(revealed_at=timezone.now())
    second = _refresh(world)
    assert second.version == first.version + 1
    timeouts = []
    real_set = snapshots.cache.set

    class Spy:
        get = staticmethod(snapshots.cache.get)

        @staticmethod
        def set(key, value, timeout):
            timeouts.append(timeout)
            return real_set(key, value, timeout)

    monkeypatch.setattr(snapshots, "cache", Spy)
    snapshots.remember(first)  # the shared entry: version 1
    snapshots._local[pk] = (-1e9, second)  # this process: version 2, past its second
    assert snapshots.recall(pk).version == second.version
    assert Spy.get(snapshots.cache_key(pk))[0] == second.version  # put right
    assert timeouts and all(t is not None and t <= 60 for t in timeouts)


def test_the_first_view_stores_version_0_for_every_later_viewer(world, client, monkeypatch):
    from django.core.cache import cache

    pk = world.competition.pk
    assert client.get(f"/live/{pk}/board.json").json()["version"] == 0
    stored = BoardSnapshot.objects.get(competition_id=pk)
    assert stored.version == 0 and HIDDEN_SHOWN not in stored.public

    def build(competition_id):
        raise AssertionError("built again")

    monkeypatch.setattr(snapshots, "build", build)
    snapshots.forget_local()
    cache.delete(snapshots.cache_key(pk))  # another process, cold: reads what is stored
    response = client.get(f"/live/{pk}/")
    assert response.status_code == 200 and "王一" in response.content.decode()


def test_a_missing_competition_is_remembered_briefly_and_in_bounds(
    world, client, django_assert_num_queries, monkeypatch
):
    assert client.get("/live/999999/board.json").status_code == 404
    with django_assert_num_queries(0):
        assert client.get("/live/999999/board.json").status_code == 404
        assert client.get("/live/999999/").status_code == 404
    monkeypatch.setattr(snapshots, "MISSING_MAX", 3)
    for pk in range(900000, 900010):
        assert snapshots.recall(pk) is None
    assert len(snapshots._missing) <= 3


def test_the_stream_servers_missing_competitions_are_bounded(monkeypatch):
    monkeypatch.setattr(live, "MISSING_MAX", 3)
    hub = stream.Hub(source="poll")

    async def nothing(fn, *args):
        return None

    hub._db = nothing

    async def scenario():
        for pk in range(1, 11):
            assert await hub.current(pk) is None

    asyncio.run(scenario())
    assert 0 < len(hub._missing) <= 3


def test_a_change_while_a_slow_client_is_sent_reaches_it_at_once():
    """A change published while a frame is on its way to a slow client: the client gets it
    right after, not at the next heartbeat (15 s)."""
    hub = stream.Hub(source="poll")
    hub.start = lambda: None

    class Slow(Client):
        async def _send(self, message):
            if b"id: 1\n" in message.get("body", b""):
                hub.publish(7, 2, '{"version":2}')  # while this frame is being written
                await asyncio.sleep(0.05)
            await super()._send(message)

    async def scenario():
        hub.publish(7, 1, '{"version":1}')
        viewer = Slow(live.StreamApp(hub, origins=[]), 7, headers=[("last-event-id", "0")])
        await viewer.until(lambda: [v for v, _ in viewer.events()] == [1, 2], timeout=2)
        await viewer.leave()

    asyncio.run(scenario())


async def _ask(app, path: str, client=("127.0.0.1", 40000), headers=()) -> int:
    sent = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "client": client,
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }
    await app(scope, receive, send)
    return sent[0]["status"]


def test_the_stream_counts_answer_only_a_direct_local_caller():
    app = live.StreamApp(stream.Hub(source="poll"), origins=[])

    async def scenario():
        return [
            await _ask(app, "/live/stream-stats"),
            await _ask(app, "/live/stream-stats", client=("::1", 40000)),
            await _ask(app, "/live/stream-stats", client=("203.0.113.9", 40000)),
            await _ask(app, "/live/stream-stats", headers=[("x-forwarded-for", "203.0.113.9")]),
            await _ask(app, "/live/stream-stats", client=None),
        ]

    assert asyncio.run(scenario()) == [200, 200, 404, 404, 404]


@pytest.mark.parametrize(
    "bind, debug, proxies, expected",
    [
        ("127.0.0.1:8000", False, [], ":8001"),  # make run
        ("0.0.0.0:8000", True, [], ":8001"),  # a developer's DEBUG
        ("0.0.0.0:8000", False, [], None),  # production, bound beyond loopback
        ("127.0.0.1:8000", False, ["127.0.0.1"], None),  # production behind a local proxy
    ],
)
def test_serve_sets_the_stream_port_only_on_a_developers_machine(
    settings, monkeypatch, bind, debug, proxies, expected
):
    from gonghui.web.management.commands.serve import Command

    monkeypatch.delenv("GONGHUI_BOARD_STREAM_URL", raising=False)
    settings.DEBUG, settings.TRUSTED_PROXIES, settings.BOARD_STREAM_URL = debug, proxies, ""
    env = Command()._environ(bind, "127.0.0.1:8001")
    assert env.get("GONGHUI_BOARD_STREAM_URL") == expected


def test_unset_means_the_pages_own_origin(world, client, settings):
    settings.BOARD_STREAM_URL = ""
    page = client.get(f"/live/{world.competition.pk}/")
    assert f'data-stream="/live/{world.competition.pk}/events"' in page.content.decode()
    policy = page.get("Content-Security-Policy") or page["Content-Security-Policy-Report-Only"]
    assert ":8001" not in policy


# --- The reveal opens the appeal window -------------------------------------------------


def test_the_last_reveal_of_a_stage_sets_when_its_results_became_public(world):
    for _ in range(2):
        services.board_reveal_next(actor=world.users.cy, competition=world.competition)
    world.final.refresh_from_db()
    assert world.final.results_at is None  # one result of the final still hidden
    last = services.board_reveal_next(actor=world.users.cy, competition=world.competition)
    world.final.refresh_from_db()
    assert world.final.results_at == Result.objects.get(pk=last.pk).revealed_at
    events = _events(world, "contests.board_reveal")
    assert "results_at" not in events[0].changes
    assert events[-1].changes["results_at"] == [None, world.final.results_at.isoformat()]


def test_unfreeze_sets_when_each_stages_results_became_public(world):
    Result.objects.filter(pk=world.public[3].pk).update(revealed_at=None)  # the selection's
    revealed = services.board_unfreeze(actor=world.users.cy, competition=world.competition)
    world.selection.refresh_from_db()
    world.final.refresh_from_db()
    times = {r.pk: Result.objects.get(pk=r.pk).revealed_at for r in revealed}
    assert world.selection.results_at == times[world.public[3].pk]
    assert world.final.results_at == times[revealed[-1].pk] == max(times.values())
    (event,) = _events(world, "contests.board_unfreeze")
    assert event.changes["results_at"][1] == {
        str(world.selection.pk): world.selection.results_at.isoformat(),
        str(world.final.pk): world.final.results_at.isoformat(),
    }
