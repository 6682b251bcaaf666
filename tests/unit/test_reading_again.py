"""Records fetched but not delivered because a rebalance began are fetched again.

faust-streaming 0.15 drops the rest of a fetch once a rebalance stops the flow
and counts on its seek "back to committed offsets" to read it again;
aiokafka 0.14's ``seek_to_committed`` leaves a partition that has no committed
offset where it is, so such a partition's dropped records never come back.
OLF moves the position back to the first undelivered record instead. See
app.workarounds.batch_delivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.transport.consumer import Consumer as FaustConsumer
from faust.types import TP

from app.factory import Olf
from app.workarounds.batch_delivery import BatchingConsumer, seek_back
from tests.unit.test_batch_delivery import TOPIC, record

NEVER_COMMITTED = TopicPartition(TOPIC, 0)
COMMITTED = TopicPartition(TOPIC, 1)


@pytest.fixture
async def aiokafka_consumer() -> AsyncIterator[AIOKafkaConsumer]:
    """An aiokafka consumer (never started) assigned two partitions, one never committed."""
    consumer = AIOKafkaConsumer(group_id="olf", bootstrap_servers="127.0.0.1:1")
    consumer.assign([NEVER_COMMITTED, COMMITTED])
    committed = {NEVER_COMMITTED: None, COMMITTED: 7}

    async def fetch_committed(tp: TopicPartition) -> int | None:
        return committed[tp]

    consumer.committed = fetch_committed
    yield consumer
    consumer._fetcher = None  # the tests' stand-in; the consumer never started one
    await consumer.stop()


async def test_aiokafka_seeks_a_partition_without_committed_offset_nowhere(
    aiokafka_consumer: AIOKafkaConsumer,
) -> None:
    seeks: list[tuple[TopicPartition, int]] = []
    aiokafka_consumer._fetcher = SimpleNamespace(
        seek_to=lambda tp, offset: seeks.append((tp, offset))
    )

    await aiokafka_consumer.seek_to_committed()

    assert seeks == [(COMMITTED, 7)], (
        "if this fails, aiokafka now moves partitions without a committed offset too:"
        " review app.workarounds.batch_delivery"
    )


def faust_consumer(olf: Olf) -> BatchingConsumer:
    app = olf.app
    return BatchingConsumer(
        app.transport,
        callback=lambda message: asyncio.sleep(0),
        on_partitions_revoked=app._on_partitions_revoked,
        on_partitions_assigned=app._on_partitions_assigned,
        loop=asyncio.get_running_loop(),
    )


def interrupted_fetch(consumer: BatchingConsumer) -> dict[TP, list[SimpleNamespace]]:
    """Make the consumer's next fetch return records of two partitions as a rebalance begins."""
    fetched = {
        TP(TOPIC, 0): [record(offset) for offset in range(0, 5)],
        TP(TOPIC, 1): [record(offset) for offset in range(7, 9)],
    }
    fetches = {"n": 0}

    async def fetch(_: float) -> tuple[dict[TP, list[SimpleNamespace]], set[TP]]:
        fetches["n"] += 1
        if fetches["n"] > 1:
            consumer._stopped.set()
            return {}, set(fetched)
        consumer.stop_flow()  # the rebalance begins while the fetch is under way
        return fetched, set(fetched)

    consumer._wait_next_records = fetch  # type: ignore[method-assign,assignment]
    return fetched


async def test_faust_drops_an_interrupted_fetch_and_seeks_to_committed_offsets(olf: Olf) -> None:
    consumer = faust_consumer(olf)
    interrupted_fetch(consumer)
    seeks: list[str] = []

    async def seek_to_committed() -> dict[TP, int]:
        seeks.append("seek_to_committed")
        return {}

    consumer.seek_to_committed = seek_to_committed  # type: ignore[method-assign]
    yielded = [message async for message in FaustConsumer.getmany(consumer, timeout=1.0)]

    assert yielded == []
    assert seeks == ["seek_to_committed"], (
        "if this fails, faust-streaming no longer relies on seeking to committed offsets"
        " after an interrupted fetch: review app.workarounds.batch_delivery"
    )


async def test_olf_moves_back_to_the_first_record_it_did_not_deliver(olf: Olf) -> None:
    consumer = faust_consumer(olf)
    interrupted_fetch(consumer)
    calls: list[tuple[Any, ...]] = []

    async def call_thread(fun: Any, *args: Any) -> None:
        calls.append(args)

    consumer._thread = SimpleNamespace(call_thread=call_thread)  # type: ignore[assignment]
    await consumer._drain_messages(SimpleNamespace(_stopped=asyncio.Event()))

    assert calls == [({NEVER_COMMITTED: 0, COMMITTED: 7},)]
    assert consumer.delivered.batches == 0


async def test_seek_back_moves_assigned_partitions_backwards_only(
    aiokafka_consumer: AIOKafkaConsumer,
) -> None:
    positions = {NEVER_COMMITTED: 5, COMMITTED: 9}
    subscription = aiokafka_consumer._subscription

    def seek_to(tp: TopicPartition, offset: int) -> None:
        subscription.seek(tp, offset)

    aiokafka_consumer._fetcher = SimpleNamespace(seek_to=seek_to)
    for tp, position in positions.items():
        aiokafka_consumer.seek(tp, position)

    moved = await seek_back(
        aiokafka_consumer,
        {NEVER_COMMITTED: 0, COMMITTED: 12, TopicPartition(TOPIC, 2): 0},
    )

    assert moved == {NEVER_COMMITTED: 0}  # not forwards, and not a partition not assigned
    assert await aiokafka_consumer.position(NEVER_COMMITTED) == 0
    assert await aiokafka_consumer.position(COMMITTED) == 9
