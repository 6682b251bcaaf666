"""The statistics topic of real workers: live while events stream in, equal to the answers
once they stop, and published by the leader alone, whose successor takes over after ``kill -9``.

Compared exactly, ``as_of`` included: once the stream is quiet it holds no
clock of the worker's (the newest *event* time, lag 0, every partition
covered), so the newest message and the HTTP answers have no reason to differ.
Only the envelope (``worker``, ``published_at``) is the topic's own.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord

from app.publishing.statistics_topic import KEY, PUBLISH_EVERY
from app.web.stream import STREAM_PATH
from tests.expected_answers import DIMENSIONS, ORDER_DIMENSIONS, SUMMARY, expected_answers
from tests.integration.answers import wait_until_processed
from tests.integration.broker import Broker
from tests.integration.kafka_io import SteadyProducer, follow_topic, produce
from tests.integration.ready_workers import PARTITIONS, start_ready_workers
from tests.integration.worker import Worker
from tests.live_snapshots import parse_events
from tests.random_stream import random_stream
from tests.reference_model import ReferenceModel

#: Events per second, and how many: a stream of about six seconds.
RATE = 1000.0
EVENTS = 6000
#: Seconds until the newest message shows what the view shows: a publication
#: waits up to PUBLISH_EVERY, plus a step and the refresh of the view, and a broker round trip.
PUBLISHED_WITHIN = 5.0
#: The session timeout the leadership test gives its workers (the least OLF accepts),
#: so that the group notices the killed leader soon.
SESSION_TIMEOUT = "6"


def messages(records: list[ConsumerRecord[bytes, bytes]]) -> list[dict[str, Any]]:
    """The decoded values of ``records``; every key must be the one key."""
    assert {record.key for record in records} <= {KEY}
    return [orjson.loads(record.value) for record in records if record.value is not None]


def published_at(message: dict[str, Any]) -> float:
    return datetime.fromisoformat(message["published_at"]).timestamp()


def metric(worker: Worker, name: str) -> float:
    """One unlabelled sample of ``worker``'s ``/metrics``."""
    _, text = worker.get_text("/metrics")
    for line in text.splitlines():
        sample, _, value = line.partition(" ")
        if sample == name:
            return float(value)
    raise AssertionError(f"{name} not in {worker.base_url}/metrics")


async def eventually(condition: Callable[[], bool], within: float, what: str) -> None:
    """Wait, without blocking the event loop that reads the topic, until ``condition()``."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {within:.0f}s waiting for {what}"
        await asyncio.sleep(0.1)


async def live_snapshot_of(worker: Worker) -> Any:
    """The first event of ``worker``'s ``GET /api/stream``: its snapshot."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(worker.base_url + STREAM_PATH) as response,
    ):
        async for event in parse_events(response.content):
            if event.event == "snapshot":
                return event.json()
    raise AssertionError("the stream ended before its snapshot")


def statistics_answers(worker: Worker) -> dict[str, Any]:
    """The summary and the counts answers (customers and orders), by path."""
    paths = [
        SUMMARY,
        *(f"/api/stats/customers?by={by}" for by in DIMENSIONS),
        *(f"/api/stats/orders?by={by}" for by in ORDER_DIMENSIONS),
    ]
    return {path: worker.get_json(path) for path in paths}


def assert_message_equals_answers(statistics: dict[str, Any], answers: dict[str, Any]) -> None:
    """The parts of a message that the summary and counts answers also carry are equal."""
    summary = dict(answers[SUMMARY])
    assert statistics["as_of"] == summary.pop("as_of")
    assert statistics["summary"] == summary
    for by in DIMENSIONS:
        answer = answers[f"/api/stats/customers?by={by}"]
        assert statistics["counts"][by] == answer["counts"], by
        assert statistics["summary"]["customers"]["total"] == answer["total"], by
        assert statistics["as_of"] == answer["as_of"], by
    for by in ORDER_DIMENSIONS:
        answer = answers[f"/api/stats/orders?by={by}"]
        assert statistics["orders"][by] == answer["orders"], by
        assert statistics["summary"]["orders"] == answer["totals"], by
        assert statistics["as_of"] == answer["as_of"], by


def newest_shows(records: list[ConsumerRecord[bytes, bytes]], worker: Worker) -> Callable[[], bool]:
    """Whether the newest message's summary and as_of are those ``worker`` answers now."""

    def check() -> bool:
        if not records:
            return False
        statistics = messages(records[-1:])[0]["statistics"]
        summary = worker.get_json(SUMMARY)
        return bool(
            statistics["as_of"] == summary["as_of"]
            and statistics["summary"]["events"] == summary["events"]
            and statistics["summary"]["order_events"] == summary["order_events"]
        )

    return check


async def test_the_topic_follows_the_stream_and_its_newest_message_equals_the_answers(
    worker_factory: Callable[..., Worker], broker: Broker, events_topic: str, statistics_topic: str
) -> None:
    (worker,) = start_ready_workers(worker_factory, 1)
    stream = random_stream(seed=11, count=EVENTS, customers=800, partitions=PARTITIONS, orders=0.3)

    async with follow_topic(broker.bootstrap, statistics_topic) as records:
        streaming_from = time.time()
        producer = SteadyProducer(broker.bootstrap, events_topic, stream, RATE)
        producer.start()
        model = ReferenceModel.of(await asyncio.to_thread(producer.result, 120.0))
        streaming_until = time.time()
        await asyncio.to_thread(wait_until_processed, worker, EVENTS, 120.0)
        await eventually(newest_shows(records, worker), PUBLISHED_WITHIN, "the quiet state")
        answers = statistics_answers(worker)
        live = await live_snapshot_of(worker)
        count = len(records)
        await asyncio.sleep(2.5 * PUBLISH_EVERY)  # quiet: nothing changes, nothing is published
        assert len(records) == count, "published without a change"

    published = messages(records)
    newest = published[-1]
    assert newest["format"] == 1
    assert {message["worker"] for message in published} == {worker.base_url}
    # Live: while events streamed in, one message a second at most, each a change.
    during = [m for m in published if streaming_from <= published_at(m) <= streaming_until]
    assert len(during) >= 3, f"{len(during)} messages while events streamed in"
    for earlier, later in pairwise(published):
        assert published_at(later) - published_at(earlier) >= PUBLISH_EVERY - 0.01
        assert later["statistics"] != earlier["statistics"]
    assert all(message["statistics"]["as_of"]["complete"] for message in published)
    # Quiet: the newest message is what the answers and the live stream say, and the model.
    assert_message_equals_answers(newest["statistics"], answers)
    assert newest["statistics"] == live
    expected = expected_answers(model)[SUMMARY]
    assert {part: newest["statistics"]["summary"][part] for part in expected} == expected
    assert metric(worker, "olf_statistics_published_total") == len(published)


async def test_only_the_leader_publishes_and_another_worker_takes_over_when_it_is_killed(
    worker_factory: Callable[..., Worker],
    broker: Broker,
    producer: AIOKafkaProducer,
    events_topic: str,
    statistics_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    # No checkpoint before the kill: the survivor takes over partitions never
    # committed, where a dropped fetch once stalled it (app.workarounds.batch_delivery).
    workers = start_ready_workers(
        worker_factory, 2, OLF_BROKER_SESSION_TIMEOUT=SESSION_TIMEOUT, OLF_CHECKPOINT_INTERVAL="60"
    )
    stream = random_stream(seed=5, count=4000, customers=600, partitions=PARTITIONS)

    async with follow_topic(broker.bootstrap, statistics_topic) as records:
        leading = {one.base_url: metric(one, "olf_statistics_publisher") for one in workers}
        assert sorted(leading.values()) == [0.0, 1.0], leading
        leader, other = sorted(workers, key=lambda worker: -leading[worker.base_url])
        other_published = metric(other, "olf_statistics_published_total")

        # The leader publishes; the other worker, whose view is just as complete, does not.
        since = time.time()
        await produce(producer, events_topic, stream[:2000])
        await asyncio.to_thread(wait_until_processed, other, 2000, 60.0)
        await eventually(newest_shows(records, other), PUBLISHED_WITHIN, "the leader's message")
        while_both = [m for m in messages(records) if published_at(m) >= since]
        assert while_both, "nothing published while both workers ran"
        assert {message["worker"] for message in while_both} == {leader.base_url}
        assert metric(other, "olf_statistics_published_total") == other_published
        assert metric(other, "olf_statistics_publisher") == 0.0

        # kill -9: the other worker becomes the leader and publishes, also what came after.
        leader.stop(signal.SIGKILL)
        killed_at = time.time()
        await produce(producer, events_topic, stream[2000:])
        await asyncio.to_thread(wait_until_processed, other, len(stream), 90.0)
        await eventually(newest_shows(records, other), PUBLISHED_WITHIN, "the new leader's message")
        answers = statistics_answers(other)

    after = [m for m in messages(records) if published_at(m) > killed_at]
    assert after, "nothing published after the leader was killed"
    assert {message["worker"] for message in after} == {other.base_url}
    assert_message_equals_answers(after[-1]["statistics"], answers)
    assert metric(other, "olf_statistics_publisher") == 1.0
    took_over = published_at(after[0]) - killed_at
    record_property("recovery", f"leader killed; the other worker published {took_over:.1f}s later")
