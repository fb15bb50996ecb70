"""Live boards over server-sent events, served by an ASGI process of its own (uvicorn,
started by ``gonghui serve``) so that hundreds of open streams never hold a sync web worker.
docs/live-board.md tells the whole design; each kind of board (the contests' live board,
a quiz's lecturer screen) is a ``Board``: where its stream is (the path), how its current
frame is loaded, how the latest versions of many boards are read in one query, and the
channel that announces a new version (or none: polled).

One ``Hub`` per board kind per process learns of new versions from ONE listener
(PostgreSQL LISTEN, Redis pub/sub, or a poll of the latest versions), loads each new frame
once, and fans the same bytes out to every connected client: a viewer costs no query.

The SSE protocol: ``id:`` is the version, ``data:`` the whole board (so the latest event is a
complete replay: a client that reconnects with an older ``Last-Event-ID`` gets the current
frame at once and has missed nothing that matters); a comment every ``HEARTBEAT_SECONDS``
keeps proxies from closing an idle stream. This module imports no app: the boards are
handed to ``StreamApp`` by whoever builds the server (``gonghui.web.streams``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

STATS_PATH = "/live/stream-stats"
HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.25  # how often a polling listener asks for new versions
RESYNC_SECONDS = 5.0  # PostgreSQL / Redis: a poll now and then covers a missed notification
MISSING_SECONDS = 5.0  # a board found missing is not looked up again for this long
MISSING_MAX = 1024  # ...and at most this many of them are remembered (made-up ids)
MAX_ID = 2**31 - 1  # a larger id is no board's (no query)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
RETRY_MS = 1000  # the browser's reconnection delay


@dataclass(frozen=True)
class Frame:
    version: int
    data: bytes  # the whole SSE event, encoded once for every client


def frame(version: int, public_json: str) -> Frame:
    return Frame(version, f"id: {version}\ndata: {public_json}\n\n".encode())


def stream_origin(request) -> str:
    """Where the pages open a stream: "" for their own origin (production, behind the
    proxy), ``:PORT`` for the same host on another port (``make run``), or an origin."""
    from django.conf import settings

    url = settings.BOARD_STREAM_URL
    if url.startswith(":"):
        return (
            f"{request.scheme}://{request.get_host().rpartition(':')[0] or request.get_host()}{url}"
        )
    return url


class Board:
    """One kind of live board. ``load`` and ``versions`` run in the hub's one database
    thread; ``allowed`` runs on the event loop before a client is admitted (no query)."""

    name = "boards"  # what the stream server's counts call the watched ones
    path: re.Pattern  # its stream's path; group 1 is the board's id
    channel: str | None = None  # NOTIFY / PUBLISH channel ("id:version"); None: polled

    def load(self, board_id: int) -> tuple[int, str] | None:
        """The board's current (version, JSON), or None if there is no such board."""
        raise NotImplementedError

    def versions(self, board_ids: list[int]) -> dict[int, int]:
        """The latest version of each board (one query)."""
        raise NotImplementedError

    def allowed(self, board_id: int, scope) -> bool:
        """Whether this request may follow the board (a public board: anyone)."""
        return True


# --- The hub: one listener, every client --------------------------------------------------


class Hub:
    """What one stream process knows: each watched board's latest frame, and one
    future per board that completes at its next change (every client waits on it)."""

    def __init__(self, board: Board, source: str = "auto", poll_seconds: float = POLL_SECONDS):
        self.board = board
        self.source = source
        self.poll_seconds = poll_seconds
        self.frames: dict[int, Frame] = {}
        self.watchers: dict[int, int] = {}
        self.clients = 0
        self.queries = 0  # every query this process made (counted on its connection)
        self.delivered = 0
        self._changed: dict[int, asyncio.Future] = {}
        self._loading: dict[int, asyncio.Future] = {}
        self._missing: dict[int, float] = {}
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"{board.name}-db")
        self._task: asyncio.Task | None = None
        self._counting = False

    # The one thread that talks to the database, its queries counted.

    def _count(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)

    def _run(self, fn, *args):
        from django.db import close_old_connections, connection

        if not self._counting:
            connection.execute_wrappers.append(self._count)
            self._counting = True
        close_old_connections()
        return fn(*args)

    async def _db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._run, fn, *args
        )

    # Clients.

    def watch(self, board_id: int) -> None:
        self.watchers[board_id] = self.watchers.get(board_id, 0) + 1
        self.clients += 1

    def unwatch(self, board_id: int) -> None:
        self.clients -= 1
        left = self.watchers.get(board_id, 1) - 1
        if left <= 0:
            self.watchers.pop(board_id, None)
            self.frames.pop(board_id, None)  # not followed any more: reloaded on use
        else:
            self.watchers[board_id] = left

    def changed(self, board_id: int) -> asyncio.Future:
        """Completes at the board's next new frame."""
        future = self._changed.get(board_id)
        if future is None or future.done():
            future = self._changed[board_id] = asyncio.get_running_loop().create_future()
        return future

    async def current(self, board_id: int) -> Frame | None:
        """The board's latest frame, loaded once however many clients ask at once."""
        held = self.frames.get(board_id)
        if held is not None:
            return held
        if time.monotonic() - self._missing.get(board_id, -MISSING_SECONDS) < MISSING_SECONDS:
            return None
        loading = self._loading.get(board_id)
        if loading is None:
            loading = self._loading[board_id] = asyncio.get_running_loop().create_future()
            try:
                row = await self._db(self.board.load, board_id)
                if row is None:
                    self._missed(board_id)
                else:
                    self.publish(board_id, *row)
            finally:
                del self._loading[board_id]
                loading.set_result(None)
        else:
            await loading
        return self.frames.get(board_id)

    def _missed(self, board_id: int) -> None:
        """Remember a missing board for a while, never more than ``MISSING_MAX``."""
        now = time.monotonic()
        if len(self._missing) >= MISSING_MAX:
            for key in [k for k, at in self._missing.items() if now - at >= MISSING_SECONDS]:
                del self._missing[key]
            if len(self._missing) >= MISSING_MAX:
                self._missing.clear()
        self._missing[board_id] = now

    def publish(self, board_id: int, version: int, public_json: str) -> None:
        held = self.frames.get(board_id)
        if held is not None and held.version >= version:
            return
        self.frames[board_id] = frame(version, public_json)
        future = self._changed.pop(board_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def heard(self, board_id: int, version: int) -> None:
        """A notification (PostgreSQL, Redis) or a poll found ``version``: load it once."""
        held = self.frames.get(board_id)
        if board_id not in self.watchers or (held is not None and held.version >= version):
            return
        row = await self._db(self.board.load, board_id)
        if row is not None:
            self.publish(board_id, *row)

    # The listener.

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task  # the listener's end; its failures were logged
            self._task = None

    def _source(self) -> str:
        if self.board.channel is None:
            return "poll"
        if self.source != "auto":
            return self.source
        from django.conf import settings
        from django.db import connection

        if connection.vendor == "postgresql":
            return "postgres"
        return "redis" if settings.REDIS_URL else "poll"

    async def _listen(self) -> None:
        source = self._source()
        log.info("%s stream: listening by %s", self.board.name, source)
        while True:
            try:
                if source == "postgres":
                    await asyncio.gather(self._postgres(), self._poll(RESYNC_SECONDS))
                elif source == "redis":
                    await asyncio.gather(self._redis(), self._poll(RESYNC_SECONDS))
                else:
                    await self._poll(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("board stream: listener failed; polling until it is back")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._poll(self.poll_seconds), timeout=5)

    async def _poll(self, every: float) -> None:
        while True:
            watched = list(self.watchers)
            if watched:
                versions = await self._db(self.board.versions, watched)
                for board_id, version in versions.items():
                    await self.heard(board_id, version)
            await asyncio.sleep(every)

    async def _postgres(self) -> None:
        import psycopg
        from django.db import connection

        params = {
            k: v
            for k, v in connection.get_connection_params().items()
            if k in {"dbname", "user", "password", "host", "port", "sslmode"} and v
        }
        async with await psycopg.AsyncConnection.connect(**params, autocommit=True) as conn:
            await conn.execute(f"LISTEN {self.board.channel}")
            async for note in conn.notifies():
                await self._note(note.payload)

    async def _redis(self) -> None:
        from django.conf import settings
        from redis import asyncio as aioredis

        client = aioredis.Redis.from_url(settings.REDIS_URL)
        try:
            pubsub = client.pubsub()
            await pubsub.subscribe(self.board.channel)
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    await self._note(message["data"])
        finally:
            await client.aclose()

    async def _note(self, payload) -> None:
        if isinstance(payload, bytes):
            payload = payload.decode()
        board, _, version = str(payload).partition(":")
        if board.isdigit() and version.isdigit():
            await self.heard(int(board), int(version))


# --- The ASGI application -----------------------------------------------------------------


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _last_seen(scope) -> int | None:
    """The version the client has: ``Last-Event-ID`` (a reconnect), else ``?since=`` (the
    version the page was rendered with)."""
    raw = _header(scope, b"last-event-id")
    if raw is None:
        values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since")
        raw = values[0] if values else None
    return int(raw) if raw is not None and raw.strip().isdigit() else None


def _local_caller(scope) -> bool:
    """A caller on this machine, asking directly (not through the reverse proxy, which
    forwards its client's address): the stream server's counts are for the bench only."""
    client = scope.get("client")
    if not client or client[0] not in LOOPBACK:
        return False
    return not any(_header(scope, name) is not None for name in (b"x-forwarded-for", b"forwarded"))


async def _plain(send, status: int, text: str, headers: list | None = None) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _until_disconnect(receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class StreamApp:
    """Each hub's board stream (``GET`` its path) and ``/live/stream-stats`` (the counts the
    bench reads)."""

    def __init__(self, hubs: Hub | list[Hub], origins: list[str] | None = None):
        self.hubs = [hubs] if isinstance(hubs, Hub) else list(hubs)
        self.origins = origins

    def _origins(self) -> list[str]:
        if self.origins is None:
            from django.conf import settings

            self.origins = list(settings.BOARD_STREAM_ORIGINS)
        return self.origins

    def _cors(self, scope) -> list:
        origin = _header(scope, b"origin")
        if origin and origin in self._origins():
            return [(b"access-control-allow-origin", origin.encode()), (b"vary", b"origin")]
        return [(b"vary", b"origin")]

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return None
        path = scope["path"]
        method = scope["method"]
        if path == STATS_PATH and method == "GET":
            if not _local_caller(scope):
                return await _plain(send, 404, "Not Found")
            return await self._stats(send)
        hub, match = next(
            ((h, m) for h in self.hubs if (m := h.board.path.match(path))), (None, None)
        )
        if match is None or not 1 <= int(match[1]) <= MAX_ID:
            return await _plain(send, 404, "Not Found")
        if method == "OPTIONS":  # a preflight (Last-Event-ID from another origin)
            return await _plain(
                send,
                204 if self._cors(scope)[0][0] == b"access-control-allow-origin" else 403,
                "",
                [
                    *self._cors(scope),
                    (b"access-control-allow-methods", b"GET"),
                    (b"access-control-allow-headers", b"last-event-id"),
                    (b"access-control-max-age", b"600"),
                ],
            )
        if method != "GET":
            return await _plain(send, 405, "Method Not Allowed", [(b"allow", b"GET")])
        if not hub.board.allowed(int(match[1]), scope):
            return await _plain(send, 403, "Forbidden", self._cors(scope))
        return await self._stream(hub, scope, receive, send, int(match[1]))

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hub in self.hubs:
                    hub.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hub in self.hubs:
                    await hub.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _stats(self, send):
        """Summed over the hubs, with the boards each follows (by its name)."""
        body = {
            "clients": sum(h.clients for h in self.hubs),
            "queries": sum(h.queries for h in self.hubs),
            "delivered": sum(h.delivered for h in self.hubs),
            **{h.board.name: len(h.watchers) for h in self.hubs},
        }
        await _plain(send, 200, json.dumps(body))

    async def _stream(self, hub: Hub, scope, receive, send, board_id: int):
        hub.start()
        last = _last_seen(scope)
        hub.watch(board_id)
        try:
            current = await hub.current(board_id)
            if current is None:
                return await _plain(send, 404, "Not Found", self._cors(scope))
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-cache, no-transform"),
                        (b"x-accel-buffering", b"no"),  # nginx: pass each event at once
                        *self._cors(scope),
                    ],
                }
            )
            await send(
                {
                    "type": "http.response.body",
                    "body": f"retry: {RETRY_MS}\n\n".encode(),
                    "more_body": True,
                }
            )
            gone = asyncio.ensure_future(_until_disconnect(receive))
            try:
                while True:
                    # Wait for the change AFTER the frame read now, taken BEFORE reading it:
                    # a change while a slow client is being sent completes it at once.
                    changed = hub.changed(board_id)
                    current = hub.frames.get(board_id)
                    if current is not None and current.version != last:
                        await send(
                            {"type": "http.response.body", "body": current.data, "more_body": True}
                        )
                        hub.delivered += 1
                        last = current.version
                    done, _ = await asyncio.wait(
                        {changed, gone},
                        timeout=HEARTBEAT_SECONDS,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if gone in done:
                        return None
                    if not done:
                        await send(
                            {
                                "type": "http.response.body",
                                "body": b": keep-alive\n\n",
                                "more_body": True,
                            }
                        )
            finally:
                gone.cancel()
        finally:
            hub.unwatch(board_id)
