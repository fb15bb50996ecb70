"""A freeze never leaks (issue #17, item 8). With the board frozen and the final's results
locked but hidden (the winner's a distinctive score, 93.1749 shown as 93.17, and a
distinctive place, 17), EVERY route is opened (the URL resolver's pages and the API's GET
operations, enumerated as tests/test_crawl.py enumerates them, path parameters filled with
this test's objects) as anonymous, as the member who is that entrant, as a judge and as a
district's staff from elsewhere: the hidden score, its place and its "advanced" appear in
no page, fragment, API answer, export, the entrant's own page, board.json or the stream.
Staff of the organiser see it on the true board; unfreezing reveals in order."""

from __future__ import annotations

import asyncio
import itertools
import json
import re

import pytest
from django.test import Client as WebClient

from gonghui.common import live
from gonghui.contests.board import services, snapshots, stream
from gonghui.contests.models import Result
from tests.contests.test_board import HIDDEN_SCORE, HIDDEN_SHOWN, Client, board_world
from tests.factories import PASSWORD
from tests.test_crawl import routes

pytestmark = pytest.mark.django_db

HIDDEN_PLACE = 17
# What would give the hidden place away on a page or in JSON.
PLACE_SHAPES = re.compile(
    rf'"place":\s*{HIDDEN_PLACE}\b|第\s*{HIDDEN_PLACE}\s*名|class="place">\s*{HIDDEN_PLACE}\s*<'
)
# What would say that someone advanced (or won a title, or went out) on a page or in JSON:
# in this world nobody has advanced publicly (the selection's results are public with no
# one advancing), so any of these can only come from the hidden final.
ADVANCED_SHAPES = re.compile(
    r'"advanced":\s*true|badge on">\s*晋级|，晋级|已晋级|获得称号|获得提名奖|已止步'
)
OPTIONS = re.compile(r"<option\b[^>]*>[^<]*</option>")
# Routes that must answer 200 for each login: a leak check that met only 404s would prove
# nothing.
KEY_ROUTES = {
    "anonymous": ["/live/{c}/", "/live/{c}/overlay/", "/live/{c}/board.json"],
    "hidden_member": ["/live/{c}/", "/m/contests/", "/m/contests/entries/{winner}/"],
    "board_judge": ["/live/{c}/", "/judge/"],
    "hd_staff": ["/live/{c}/", "/contests/"],
}
API_BOARD = "/api/v1/contests/competitions/{c}/board"
# Routes whose path parameters may name a contest's objects: every object of the test is
# tried there; elsewhere the competition's pk (and any text parameter, "x").
CONTEST_WORDS = (
    "contest",
    "live",
    "board",
    "entr",
    "stage",
    "result",
    "judg",
    "jury",
    "vote",
    "mark",
    "appeal",
    "notar",
    "talent",
    "m/",
)
TEXTS = ("json", "xlsx", "csv", "pdf", "docx", "zip", "x")
SKIP = {"logout/"}  # ends the session the next requests need (and answers POST only)


@pytest.fixture
def world(tree, users):
    snapshots.forget_local()
    world = board_world(tree, users)
    # The final had nineteen entrants: these three, hidden, are its 19th, 18th and 17th.
    for result, place in zip(world.hidden, (19, 18, HIDDEN_PLACE), strict=True):
        Result.objects.filter(pk=result.pk).update(place=place)
    # Nobody advanced from the (public) selection: "advanced" anywhere is the final's.
    Result.objects.filter(pk__in=[r.pk for r in world.public]).update(advanced=False)
    services.snapshot_refresh(world.competition.pk)
    yield world
    snapshots.forget_local()


def _pks(world) -> list[int]:
    objects = [
        world.competition,
        world.programme,
        world.selection,
        world.final,
        world.winner,
        world.winner.person,
        world.judge,
        *world.hidden,
        *world.public,
        *world.entrants,
    ]
    return sorted({o.pk for o in objects})


def _urls(world) -> list[str]:
    pks = _pks(world)
    urls = []
    for route in routes():
        if route.path.startswith("admin") or route.path in SKIP:
            continue
        contest = any(word in route.path for word in CONTEST_WORDS)
        choices = []
        for param in route.params:
            if param == "pk" or param.endswith(("_pk", "_id", "id")):
                choices.append(pks if contest else [world.competition.pk])
            else:
                choices.append(TEXTS if contest else ("x",))
        for values in itertools.product(*choices):
            path = route.path
            for param, value in zip(route.params, values, strict=True):
                path = path.replace(f"{{{param}}}", str(value), 1)
            urls.append("/" + path)
    return urls


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def _leaks(text: str) -> list[str]:
    found = [marker for marker in (HIDDEN_SHOWN, HIDDEN_SCORE, "85.50", "80.00") if marker in text]
    if PLACE_SHAPES.search(text):
        found.append(f"place {HIDDEN_PLACE}")
    advanced = ADVANCED_SHAPES.search(OPTIONS.sub("", text))  # a filter's choices are no data
    if advanced:
        found.append(f"advanced ({advanced[0]})")
    return found


def _crawl(client, urls) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The leaks found (url -> markers) and every url's status."""
    client.raise_request_exception = False
    leaks, statuses = {}, {}
    for url in urls:
        response = client.get(url)
        statuses[url] = response.status_code
        found = _leaks(_body(response))
        if found:
            leaks[url] = found
    return leaks, statuses


@pytest.mark.parametrize("login", ["anonymous", "hidden_member", "board_judge", "hd_staff"])
def test_no_route_shows_a_hidden_result(world, login):
    client = WebClient()
    if login != "anonymous":
        assert client.login(username=login, password=PASSWORD)
    urls = _urls(world)
    c, winner = world.competition.pk, world.winner.pk
    key = [u.format(c=c, winner=winner) for u in [*KEY_ROUTES[login], API_BOARD]]
    assert set(key) <= set(urls)
    leaks, statuses = _crawl(client, urls)
    assert leaks == {}
    assert {u: statuses[u] for u in key} == dict.fromkeys(key, 200)


def test_the_leak_markers_see_an_advance_and_a_title():
    """The markers themselves: each way a page or JSON says that someone advanced."""
    for text in (
        '{"advanced": true}',
        '<span class="badge on">晋级</span>',
        "第 1 名，晋级",
        "获得称号",
    ):
        assert _leaks(text), text
    assert _leaks('<th>晋级</th><p>前 3 名晋级</p>{"advanced":false}') == []
    assert _leaks('<option value="titled">获得称号</option>') == []


def test_the_organisers_staff_see_it_on_the_true_board(world, client):
    client.login(username="cy_staff", password=PASSWORD)
    text = _body(client.get(f"/contests/c/{world.competition.pk}/board/"))
    assert HIDDEN_SHOWN in text and PLACE_SHAPES.search(text)
    staff = client.get(f"/api/v1/contests/competitions/{world.competition.pk}/board/staff")
    assert HIDDEN_SHOWN in staff.content.decode()


def test_the_stream_never_sends_a_hidden_result(world):
    """The stream server in process, holding what its listener reads (the latest
    snapshot's public half, read here as the hub's thread reads it): a viewer's events hold
    no hidden result. (Its own reading is tested, committed, in test_board.py.)"""
    hub = stream.Hub(source="poll")
    hub.start = lambda: None  # no listener: the test's data is not committed
    version, public_json = snapshots.latest_public(world.competition.pk)
    assert json.loads(public_json)["frozen"] is True

    async def scenario():
        hub.publish(world.competition.pk, version, public_json)
        app = live.StreamApp(hub, origins=[])
        viewer = Client(app, world.competition.pk, headers=[("last-event-id", "0")])
        await viewer.until(lambda: viewer.events())
        await viewer.leave()
        return viewer

    viewer = asyncio.run(scenario())
    sent, board = viewer.events()[0]
    assert sent == snapshots.latest(world.competition.pk).version
    assert board["frozen"] is True and _leaks(viewer.body) == []
    final = next(s for s in board["stages"] if s["name"] == "终极挑战赛")
    assert final["results"] == []
    assert not any(r["advanced"] for s in board["stages"] for r in s["results"])


def test_unfreeze_reveals_in_order_then_the_public_sees_it(world, client):
    revealed = services.board_unfreeze(actor=world.users.cy, competition=world.competition)
    assert [r.place for r in revealed] == [19, 18, HIDDEN_PLACE]
    times = [Result.objects.get(pk=r.pk).revealed_at for r in revealed]
    assert times == sorted(times)
    services.snapshot_refresh(world.competition.pk)
    snapshots.forget_local()
    board = client.get(f"/live/{world.competition.pk}/board.json").json()
    final = next(s for s in board["stages"] if s["name"] == "终极挑战赛")["results"]
    assert [(r["place"], r["score"], r["advanced"]) for r in final] == [
        (HIDDEN_PLACE, HIDDEN_SHOWN, True),
        (18, "85.50", False),
        (19, "80.00", False),
    ]
    assert board["frozen"] is False
    assert json.loads(snapshots.latest(world.competition.pk).public_json) == board
