"""The live stream's broadcaster and its Server-Sent Events, without a broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app.live_stats import Snapshot
from app.stream import Broadcaster, BroadcasterClosed, Subscriber, stream_events
from tests.live_snapshots import ServerSentEvent, apply_delta, parse_events

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
        return await stream_events(request, broadcaster, heartbeat=0.05)

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
