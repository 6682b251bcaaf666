"""``GET /api/stream`` of real workers: a snapshot, live deltas, a snapshot on reconnect."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
from aiokafka import AIOKafkaProducer

from app.queries.live_stats import Snapshot
from app.web.stream import INTERVAL, STREAM_PATH
from tests.events import DEFAULT_TIME, message
from tests.integration.ready_workers import start_ready_workers
from tests.integration.worker import Worker
from tests.live_snapshots import ServerSentEvent, apply_delta, parse_events

LIVE_TIMEOUT = 60.0
COUNTRIES = ("NL", "DE", "FR", "BE")
CUSTOMERS = 40


def expected_messages() -> tuple[list[tuple[bytes, bytes]], Snapshot]:
    """Messages on every partition, and the snapshot parts they must end in.

    40 sign-ups, 5 of them move to GB, 3 leave; one retry (duplicate) and one
    malformed message. Event times: one per second from DEFAULT_TIME.
    """
    messages = []
    country = {}
    for index in range(CUSTOMERS):
        country[f"c{index}"] = COUNTRIES[index % len(COUNTRIES)]
        at = DEFAULT_TIME + timedelta(seconds=index)
        messages.append(message(f"c{index}", 1, country=country[f"c{index}"], occurred_at=at))
    later = DEFAULT_TIME + timedelta(minutes=2)
    for index in range(5):
        country[f"c{index}"] = "GB"
        update = message(f"c{index}", 2, "customer.updated", country="GB", occurred_at=later)
        messages.append(update)
    for index in range(5, 8):
        del country[f"c{index}"]
        messages.append(message(f"c{index}", 2, "customer.deleted", occurred_at=later))
    messages.append(messages[10])  # a retry: a duplicate
    messages.append((b"c99", b"{broken"))  # rejected
    expected: Snapshot = {
        "summary": {
            "customers": {"total": CUSTOMERS - 3},
            "events": {"applied": CUSTOMERS + 8, "duplicates": 1, "rejected": 1},
        },
        "counts": {"country": dict(Counter(country.values()))},
    }
    return messages, expected


def matches(state: Snapshot, expected: Snapshot) -> bool:
    return all(
        state.get(section, {}).get(name) == value
        for section, parts in expected.items()
        for name, value in parts.items()
    )


def series_total(state: Snapshot, metric: str) -> int:
    return sum(point["count"] for point in state["timeseries"][metric])


async def events_of(response: aiohttp.ClientResponse) -> AsyncIterator[ServerSentEvent]:
    """The stream's events, heartbeats left out."""
    async for event in parse_events(response.content):
        if event.event != "comment":
            yield event


async def test_any_worker_streams_all_partitions_and_a_reconnect_starts_with_a_snapshot(
    worker_factory: Callable[..., Worker],
    producer: AIOKafkaProducer,
    events_topic: str,
) -> None:
    first, second = start_ready_workers(worker_factory, 2)
    messages, expected = expected_messages()
    timeout = aiohttp.ClientTimeout(total=LIVE_TIMEOUT)

    async with aiohttp.ClientSession(timeout=timeout) as session:
        # Connected to the second worker, which owns only some of the partitions.
        async with session.get(second.base_url + STREAM_PATH) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            assert response.headers["Cache-Control"] == "no-store"
            events = events_of(response)
            opening = await anext(events)
            assert opening.event == "snapshot"
            state = opening.json()
            assert state["summary"]["customers"]["total"] == 0
            assert state["as_of"]["complete"] is True

            for key, value in messages:
                await producer.send_and_wait(events_topic, value=value, key=key)
            started = time.monotonic()
            ids = [int(opening.id or 0)]
            deltas = 0
            async for event in events:
                assert event.event == "delta", f"a snapshot mid-stream: {event}"
                ids.append(int(event.id or 0))
                deltas += 1
                state = apply_delta(state, event.json())
                if matches(state, expected):
                    break
            elapsed = time.monotonic() - started

        assert ids == sorted(set(ids)), f"event ids must increase: {ids}"
        assert state["as_of"]["complete"] is True
        assert {metric: series_total(state, metric) for metric in state["timeseries"]} == {
            "signups": CUSTOMERS,
            "updates": 5,
            "deletions": 3,
        }
        # Coalesced: at most one delta per interval, however many events arrived.
        assert deltas <= elapsed / INTERVAL + 2, f"{deltas} deltas in {elapsed:.1f}s"

        # A browser reconnects with the last id it saw; here to the other worker.
        headers = {"Last-Event-ID": str(ids[-1])}
        async with session.get(first.base_url + STREAM_PATH, headers=headers) as response:
            again = await anext(events_of(response))
        assert again.event == "snapshot"
        assert again.json() == state

    summary = first.get_json("/api/stats/summary")
    del summary["as_of"]
    assert summary == state["summary"]
