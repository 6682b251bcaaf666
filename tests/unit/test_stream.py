"""The live stream's broadcaster and its Server-Sent Events, without a broker."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app.factory import Olf
from app.queries.live_stats import Snapshot
from app.settings import Settings, SettingsError
from app.web.stream import (
    STREAM_PATH,
    Broadcaster,
    BroadcasterClosed,
    BroadcasterFull,
    Subscriber,
    stream_events,
)
from tests.live_snapshots import ServerSentEvent, apply_delta, parse_events
from tests.web_client import serve

FAST = 0.01
WAIT = 5.0


class Statistics:
    """A stand-in for the cluster: a snapshot the test changes, and how often it was read."""

    def __init__(self) -> None:
        self.customers = 0
        self.reads = 0
        self.failures_left = 0

    def snapshot(self) -> Snapshot:
        return {
            "summary": {"customers": {"total": self.customers}},
            "counts": {"country": {"NL": self.customers} if self.customers else {}},
        }

    async def read(self) -> Snapshot:
        self.reads += 1
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("peer went away")
        return self.snapshot()


def decode(event: bytes | None) -> tuple[str, int, Any]:
    """(event, id, data) of one encoded event."""
    assert event is not None
    fields = dict(line.split(": ", 1) for line in event.decode().strip().split("\n"))
    return fields["event"], int(fields["id"]), orjson.loads(fields["data"])


async def next_event(subscriber: Subscriber) -> tuple[str, int, Any]:
    return decode(await asyncio.wait_for(subscriber.queue.get(), WAIT))


@pytest.fixture
async def statistics() -> Statistics:
    return Statistics()


@pytest.fixture
async def broadcaster(statistics: Statistics) -> AsyncIterator[Broadcaster]:
    running = Broadcaster(statistics.read, interval=FAST, queue_size=4)
    yield running
    await running.close()


async def test_first_event_is_a_snapshot_then_deltas_of_what_changed(
    broadcaster: Broadcaster, statistics: Statistics
) -> None:
    client = broadcaster.subscribe()
    assert await next_event(client) == ("snapshot", 1, statistics.snapshot())

    statistics.customers = 3
    assert await next_event(client) == (
        "delta",
        2,
        {"summary": {"customers": {"total": 3}}, "counts": {"country": {"NL": 3}}},
    )


async def test_nothing_is_sent_while_nothing_changes(
    broadcaster: Broadcaster, statistics: Statistics
) -> None:
    client = broadcaster.subscribe()
    await next_event(client)
    reads = statistics.reads
    for _ in range(500):  # until five more reads of the same statistics
        if statistics.reads >= reads + 5:
            break
        await asyncio.sleep(FAST)
    assert statistics.reads >= reads + 5
    assert client.queue.empty()


async def test_a_later_client_starts_with_the_current_snapshot(
    broadcaster: Broadcaster, statistics: Statistics
) -> None:
    first = broadcaster.subscribe()
    statistics.customers = 2
    while (await next_event(first))[2]["summary"]["customers"]["total"] != 2:
        pass
    later = broadcaster.subscribe()
    event, event_id, data = await next_event(later)
    assert (event, data) == ("snapshot", statistics.snapshot())
    assert event_id == broadcaster.version


async def test_a_client_that_does_not_read_gets_one_snapshot_instead_of_a_growing_queue(
    statistics: Statistics,
) -> None:
    broadcaster = Broadcaster(statistics.read, interval=3600, queue_size=4)
    stalled = broadcaster.subscribe()
    reader = broadcaster.subscribe()
    await asyncio.sleep(FAST)  # the first read, then the task sleeps for an hour
    seen = [await next_event(reader)]
    for customers in range(1, 21):
        statistics.customers = customers
        broadcaster.publish(statistics.snapshot())
        seen.append(await next_event(reader))
        assert stalled.queue.qsize() <= 4

    # The reader, never behind, got every change as a delta.
    assert [event for event, _, _ in seen] == ["snapshot"] + ["delta"] * 20
    assert [event_id for _, event_id, _ in seen] == list(range(1, 22))
    # The stalled client lost its deltas to a snapshot and still ends up current.
    assert stalled.overflows > 0
    state: Snapshot = {}
    events = [decode(stalled.queue.get_nowait()) for _ in range(stalled.queue.qsize())]
    assert events[0][0] == "snapshot"
    for event, _, data in events:
        state = data if event == "snapshot" else apply_delta(state, data)
    assert state == statistics.snapshot()
    await broadcaster.close()


async def test_reading_stops_when_the_last_client_leaves(
    broadcaster: Broadcaster, statistics: Statistics
) -> None:
    client = broadcaster.subscribe()
    await next_event(client)
    broadcaster.unsubscribe(client)
    for _ in range(100):
        if not broadcaster.running:
            break
        await asyncio.sleep(FAST)
    assert not broadcaster.running
    reads = statistics.reads
    await asyncio.sleep(5 * FAST)
    assert statistics.reads == reads


async def test_a_failed_read_is_retried(broadcaster: Broadcaster, statistics: Statistics) -> None:
    statistics.failures_left = 2
    client = broadcaster.subscribe()
    assert (await next_event(client))[0] == "snapshot"
    assert statistics.reads >= 3  # two failures, then the read that succeeded


async def test_close_ends_every_stream_and_refuses_new_clients(broadcaster: Broadcaster) -> None:
    client = broadcaster.subscribe()
    await next_event(client)
    await broadcaster.close()
    assert await asyncio.wait_for(client.queue.get(), WAIT) is None
    assert not broadcaster.running
    with pytest.raises(BroadcasterClosed):
        broadcaster.subscribe()


async def read_events(response: Any, count: int) -> list[ServerSentEvent]:
    events: list[ServerSentEvent] = []
    async for event in parse_events(response.content):
        events.append(event)
        if len(events) == count:
            break
    return events


async def test_wire_format_heartbeat_and_cleanup_after_the_client_leaves(
    broadcaster: Broadcaster, statistics: Statistics
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await stream_events(request, broadcaster, write_timeout=WAIT, heartbeat=0.05)

    application = web.Application()
    application.router.add_get("/stream", handler)
    async with TestClient(TestServer(application)) as client:
        response = await client.get("/stream", headers={"Last-Event-ID": "7"})
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        snapshot, heartbeat = await asyncio.wait_for(read_events(response, 2), WAIT)
        assert (snapshot.event, snapshot.id) == ("snapshot", "1")
        assert snapshot.json() == statistics.snapshot()
        assert (heartbeat.event, heartbeat.data) == ("comment", "heartbeat")
        assert broadcaster.subscribers == 1
        response.close()
        for _ in range(200):  # the next heartbeat's write finds the client gone
            if broadcaster.subscribers == 0:
                break
            await asyncio.sleep(FAST)
        assert broadcaster.subscribers == 0


async def test_reading_stops_when_the_worker_stops(statistics: Statistics) -> None:
    stopping = False
    broadcaster = Broadcaster(statistics.read, interval=FAST, stopping=lambda: stopping)
    client = broadcaster.subscribe()
    await next_event(client)
    stopping = True
    for _ in range(100):
        if not broadcaster.running:
            break
        await asyncio.sleep(FAST)
    assert not broadcaster.running
    assert broadcaster.subscribers == 1  # its stream ends when the web server closes it
    await broadcaster.close()


async def test_at_most_max_clients_subscribe_at_once(
    statistics: Statistics, caplog: pytest.LogCaptureFixture
) -> None:
    broadcaster = Broadcaster(statistics.read, interval=FAST, max_clients=2)
    first = broadcaster.subscribe()
    broadcaster.subscribe()
    for _ in range(3):
        with pytest.raises(BroadcasterFull):
            broadcaster.subscribe()
    assert broadcaster.refused == 3
    refusals = [record for record in caplog.records if "maximum of 2 clients" in record.message]
    assert len(refusals) == 1  # not one line per refused client
    broadcaster.unsubscribe(first)
    broadcaster.subscribe()
    assert broadcaster.subscribers == 2
    await broadcaster.close()


async def test_a_worker_answers_one_stream_client_too_many_with_a_json_503(
    olf_factory: Callable[..., Olf],
) -> None:
    olf = olf_factory(stream_max_clients=1)
    async with serve(olf) as client:
        first = await client.get(STREAM_PATH)
        assert first.status == 200
        second = await client.get(STREAM_PATH)
        assert second.status == 503
        assert second.headers["Retry-After"] == "10"
        assert await second.json() == {
            "status": 503,
            "error": "Service Unavailable",
            "message": "too many stream clients on this worker; retry later",
        }
        first.close()


class GrowingStatistics:
    """Statistics whose every read changes about 50 KB of the snapshot."""

    def __init__(self) -> None:
        self.reads = 0

    async def read(self) -> Snapshot:
        self.reads += 1
        return {"counts": {"country": {f"C{number:04}": self.reads for number in range(4000)}}}


DROPPED = "Dropped live stream client 127.0.0.1: a write to it waited 0.2 s"


async def test_a_client_that_stops_reading_is_dropped_after_the_write_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    broadcaster = Broadcaster(GrowingStatistics().read, interval=0.02)

    async def handler(request: web.Request) -> web.StreamResponse:
        return await stream_events(request, broadcaster, write_timeout=0.2, send_buffer=4096)

    application = web.Application()
    application.router.add_get("/stream", handler)
    loop = asyncio.get_running_loop()
    async with TestServer(application) as server:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.setblocking(False)
        try:
            assert server.port is not None
            await loop.sock_connect(client, ("127.0.0.1", server.port))
            await loop.sock_sendall(client, b"GET /stream HTTP/1.1\r\nHost: olf\r\n\r\n")
            # ... and never read: its buffers fill, then a write waits.
            for _ in range(500):
                if any(record.message == DROPPED for record in caplog.records):
                    break
                await asyncio.sleep(FAST)
            else:
                pytest.fail("the client was not dropped")
            for _ in range(100):  # the handler leaves right after logging
                if broadcaster.subscribers == 0:
                    break
                await asyncio.sleep(FAST)
            assert broadcaster.subscribers == 0, "the dropped client is still subscribed"
            ended = False
            try:
                while await asyncio.wait_for(loop.sock_recv(client, 1 << 20), WAIT):
                    pass
                ended = True
            except ConnectionResetError:
                ended = True
            assert ended
        finally:
            client.close()
            await broadcaster.close()


def test_the_stream_limits_are_settings() -> None:
    assert (Settings().stream_max_clients, Settings().stream_write_timeout) == (1000, 10.0)
    settings = Settings.from_env(
        {"OLF_STREAM_MAX_CLIENTS": "50", "OLF_STREAM_WRITE_TIMEOUT": "2.5"}
    )
    assert (settings.stream_max_clients, settings.stream_write_timeout) == (50, 2.5)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OLF_STREAM_MAX_CLIENTS", "0", "OLF_STREAM_MAX_CLIENTS must be >= 1"),
        ("OLF_STREAM_MAX_CLIENTS", "many", "OLF_STREAM_MAX_CLIENTS='many' is not valid"),
        ("OLF_STREAM_WRITE_TIMEOUT", "0", "OLF_STREAM_WRITE_TIMEOUT must be > 0 seconds"),
        ("OLF_STREAM_WRITE_TIMEOUT", "inf", "OLF_STREAM_WRITE_TIMEOUT must be > 0 seconds"),
        ("OLF_STREAM_WRITE_TIMEOUT", "nan", "OLF_STREAM_WRITE_TIMEOUT must be > 0 seconds"),
    ],
)
def test_bad_stream_limits_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})
