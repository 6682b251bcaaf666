"""``GET /api/stream``: the live statistics as Server-Sent Events.

One :class:`Broadcaster` per worker reads a snapshot (see :mod:`app.queries.live_stats`)
from the worker's merged view (:mod:`app.queries.merged_view`, which builds it once
per version) every ``interval`` while at least one client listens, and queues for each
client what changed. The agents are never involved, so a slow client slows
nobody but itself. Each client has a small bounded queue of encoded messages:
a client that falls so far behind that its queue is full gets the queue
emptied and one snapshot in its place, so memory per client stays bounded and
the client is consistent again after that message.

Limits, so that clients cost the worker bounded memory: at most
``max_clients`` streams at once (one more is answered 503 with
``Retry-After``); each connection's kernel send buffer is capped at
:data:`SEND_BUFFER`; and a client whose write does not complete within
``write_timeout`` seconds (it stopped reading, so every buffer towards it is
full) is disconnected.

On the wire (the WHATWG Server-Sent Events format), per connection::

    retry: 2000                          once, first
    id: 41, event: snapshot, data: {..}  always the first event
    id: 42, event: delta, data: {..}     only what changed, at most once per interval
    : heartbeat                          after 15 s without an event

Ids increase by one with every change this worker sees. Every connection
starts with a snapshot, so a client that reconnects (browsers send
``Last-Event-ID``) is consistent again with its first event, whichever worker
it reaches.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final, cast

import faust
import orjson
from aiohttp import web
from faust.web import Request, Response, View

from app.queries.live_stats import Snapshot, delta, live_snapshot
from app.queries.merged_view import MergedView
from app.web.http_policy import web_application
from infrastructure.json_errors import json_error

log = logging.getLogger(__name__)

STREAM_PATH: Final = "/api/stream"
#: How often the broadcaster reads the statistics: at most this many messages per second.
INTERVAL: Final = 0.5
#: Messages a client may fall behind before it is sent a snapshot instead.
QUEUE_SIZE: Final = 16
#: Seconds without an event after which a comment keeps proxies from closing the stream.
HEARTBEAT: Final = 15.0
#: Milliseconds a browser waits before reconnecting.
RETRY_MS: Final = 2000
HEARTBEAT_MESSAGE: Final = b": heartbeat\n\n"
#: Seconds between checks whether a client without news has left, so that its
#: subscription (and the reads made for it) end soon after it does.
GONE_CHECK: Final = 1.0
#: Seconds a client refused for being one too many is asked to wait (``Retry-After``).
FULL_RETRY_AFTER: Final = 10
#: Kernel send buffer of a stream connection, in bytes (Linux reserves twice this):
#: what a client that stops reading holds in the kernel, instead of the megabytes
#: Linux's autotuning would grow the buffer to.
SEND_BUFFER: Final = 64 * 1024
#: Seconds between log lines about clients refused for being one too many.
REFUSAL_LOG_EVERY: Final = 60.0


def encode_event(event: str, event_id: int, data: Snapshot) -> bytes:
    """One Server-Sent Event; orjson writes no newlines, so ``data`` is one line."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event.encode(), orjson.dumps(data))


class BroadcasterClosed(RuntimeError):
    """The worker is shutting down and accepts no new stream clients."""


class BroadcasterFull(RuntimeError):
    """The worker streams to as many clients as it may."""


@dataclass(eq=False)
class Subscriber:
    """One connected client: its queue of encoded events; None means 'stream ends'."""

    queue: asyncio.Queue[bytes | None]
    needs_snapshot: bool = True
    #: Times its queue overflowed and was replaced by a snapshot.
    overflows: int = 0


class Broadcaster:
    """Reads snapshots while clients listen and queues each client's next events.

    ``read`` returns the current snapshot; it runs once per ``interval`` in
    one background task, started by the first subscriber and ended when the
    last one leaves or ``stopping()`` turns true. At most ``max_clients``
    subscribe at once (None: any number).
    """

    def __init__(
        self,
        read: Callable[[], Awaitable[Snapshot]],
        *,
        max_clients: int | None = None,
        interval: float = INTERVAL,
        queue_size: int = QUEUE_SIZE,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.read = read
        self.max_clients = max_clients
        self.stopping = stopping
        self.interval = interval
        self.queue_size = queue_size
        self.version = 0
        self._snapshot: Snapshot | None = None
        self._snapshot_event: bytes | None = None
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._failing = False
        #: Clients refused for being one too many, and when that was last logged.
        self.refused = 0
        self._refusal_logged_at = -math.inf

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def subscribe(self) -> Subscriber:
        """A new client; its first event is a snapshot (queued now if one is known).

        Raises:
            BroadcasterClosed: after :meth:`close`.
            BroadcasterFull: while ``max_clients`` are subscribed.
        """
        if self._closed:
            raise BroadcasterClosed("the worker is shutting down")
        if self.max_clients is not None and len(self._subscribers) >= self.max_clients:
            self.refused += 1
            # Refusals come as fast as clients do: a line a minute at most.
            if time.monotonic() - self._refusal_logged_at >= REFUSAL_LOG_EVERY:
                self._refusal_logged_at = time.monotonic()
                log.warning(
                    "Live stream has its maximum of %d clients (OLF_STREAM_MAX_CLIENTS);"
                    " %d refused so far",
                    self.max_clients,
                    self.refused,
                )
            raise BroadcasterFull("too many stream clients on this worker; retry later")
        subscriber = Subscriber(asyncio.Queue(self.queue_size))
        self._subscribers.add(subscriber)
        if self._snapshot is not None:
            self._send_snapshot(subscriber)
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="olf-live-stream")
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def close(self) -> None:
        """End every stream and the background task; later subscribers are refused."""
        self._closed = True
        for subscriber in self._subscribers:
            drain(subscriber.queue)
            subscriber.queue.put_nowait(None)
        self._subscribers.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def publish(self, snapshot: Snapshot) -> None:
        """Queue ``snapshot``'s news for every subscriber (the task calls this per read)."""
        changes: Snapshot = {}
        if self._snapshot is None:
            self.version += 1
            self._set_snapshot(snapshot)
        elif snapshot is not self._snapshot:  # the view builds one object per version
            changes = delta(self._snapshot, snapshot)
            if changes:
                self.version += 1
                self._set_snapshot(snapshot)
        delta_event = encode_event("delta", self.version, changes) if changes else None
        for subscriber in self._subscribers:
            if subscriber.needs_snapshot:
                self._send_snapshot(subscriber)
            elif delta_event is not None:
                self._send(subscriber, delta_event)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            # Not while the worker stops: reads would keep its consumer busy.
            while self._subscribers and not self.stopping():
                started = loop.time()
                try:
                    snapshot = await self.read()
                except Exception:
                    # Logged once per streak: the read runs twice a second.
                    if not self._failing:
                        log.warning("Live stream cannot read the statistics", exc_info=True)
                    self._failing = True
                else:
                    self._failing = False
                    self.publish(snapshot)
                await asyncio.sleep(max(0.0, self.interval - (loop.time() - started)))
        finally:
            # With nobody listening the snapshot ages; the next first client
            # waits for a fresh one instead.
            self._snapshot = None
            self._snapshot_event = None

    def _set_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._snapshot_event = None  # encoded on first use, once per version

    def _send_snapshot(self, subscriber: Subscriber) -> None:
        assert self._snapshot is not None
        if self._snapshot_event is None:
            self._snapshot_event = encode_event("snapshot", self.version, self._snapshot)
        drain(subscriber.queue)
        subscriber.queue.put_nowait(self._snapshot_event)
        subscriber.needs_snapshot = False

    def _send(self, subscriber: Subscriber, event: bytes) -> None:
        try:
            subscriber.queue.put_nowait(event)
        except asyncio.QueueFull:
            # The snapshot holds everything the dropped deltas said.
            subscriber.overflows += 1
            self._send_snapshot(subscriber)


def drain(queue: asyncio.Queue[bytes | None]) -> None:
    """Empty ``queue`` without waiting."""
    while not queue.empty():
        queue.get_nowait()


def client_gone(request: web.Request) -> bool:
    """The client closed the connection (aiohttp tells a handler only when it writes)."""
    return request.transport is None or request.transport.is_closing()


def limit_send_buffer(request: web.Request, size: int) -> None:
    """Cap the kernel send buffer of ``request``'s connection at ``size`` bytes."""
    transport = request.transport
    sock = None if transport is None else transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


async def write_or_drop(
    request: web.Request, response: web.StreamResponse, data: bytes, write_timeout: float
) -> None:
    """Write ``data``; a client that has not taken it within ``write_timeout`` s is dropped.

    Raises:
        ConnectionResetError: the client left, or was dropped.
    """
    try:
        async with asyncio.timeout(write_timeout):
            await response.write(data)
    except TimeoutError:
        # Every buffer towards the client is full: it stopped reading. Abort:
        # closing would wait for those buffers to drain.
        log.info(
            "Dropped live stream client %s: a write to it waited %s s",
            request.remote,
            write_timeout,
        )
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("the client stopped reading") from None


async def stream_events(
    request: web.Request,
    broadcaster: Broadcaster,
    *,
    write_timeout: float,
    heartbeat: float = HEARTBEAT,
    send_buffer: int = SEND_BUFFER,
) -> web.StreamResponse:
    """Serve one client until it leaves, stops reading (``write_timeout``) or the worker stops."""
    try:
        subscriber = broadcaster.subscribe()
    except BroadcasterClosed as exc:
        return json_error(HTTPStatus.SERVICE_UNAVAILABLE, str(exc))
    except BroadcasterFull as exc:
        retry_after = {"Retry-After": str(FULL_RETRY_AFTER)}
        return json_error(HTTPStatus.SERVICE_UNAVAILABLE, str(exc), retry_after)
    limit_send_buffer(request, send_buffer)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            # Tells nginx-like proxies not to buffer the stream.
            "X-Accel-Buffering": "no",
        }
    )
    try:
        await response.prepare(request)
        await write_or_drop(request, response, b"retry: %d\n\n" % RETRY_MS, write_timeout)
        loop = asyncio.get_running_loop()
        last_write = loop.time()
        check_every = min(GONE_CHECK, heartbeat)
        while not client_gone(request):
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), check_every)
            except TimeoutError:
                if loop.time() - last_write < heartbeat:
                    continue
                event = HEARTBEAT_MESSAGE
            if event is None:
                break
            await write_or_drop(request, response, event, write_timeout)
            last_write = loop.time()
    except ConnectionResetError:
        pass  # the client left; aiohttp's own errors derive from this one
    finally:
        broadcaster.unsubscribe(subscriber)
    return response


def declare_stream(
    app: faust.App, view: MergedView, *, max_clients: int, write_timeout: float
) -> Broadcaster:
    """Register ``GET /api/stream`` on ``app``; its broadcaster ends with the web server.

    ``max_clients`` and ``write_timeout``: see :class:`Broadcaster` and :func:`stream_events`.
    """

    async def read() -> Snapshot:
        snapshot: Snapshot = view.answer("live", live_snapshot).value
        return snapshot

    broadcaster = Broadcaster(
        read,
        max_clients=max_clients,
        stopping=lambda: app.should_stop,
    )

    async def close_streams(_: web.Application) -> None:
        await broadcaster.close()

    # on_shutdown runs before aiohttp waits for open requests to finish, so
    # open streams end at once instead of holding up the worker's stop.
    web_application(app).on_shutdown.append(close_streams)

    @app.page(STREAM_PATH)
    class LiveStream(View):
        async def get(self, request: Request) -> Response:
            # Faust's aiohttp driver hands views aiohttp's own request objects.
            stream = await stream_events(
                cast(web.Request, request), broadcaster, write_timeout=write_timeout
            )
            return cast(Response, stream)

        async def head(self, request: Request) -> Response:
            return cast(Response, web.Response(content_type="text/event-stream"))

    return broadcaster
