"""A fetch of input messages reaches the agent's channel as one batch, not message by message.

faust-streaming 0.15 hands each fetched message to the conductor on its own,
inside ``wait_first(callback(message), suspend_flow.wait())``; OLF's consumer
puts everything fetched of a partition into the agent's channel at once. See
app.workarounds.batch_delivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from faust.transport.consumer import Consumer as FaustConsumer
from faust.types import TP

from app.factory import Olf
from app.workarounds.batch_delivery import BatchingConsumer
from models.message_batch import MessageBatch

TOPIC = "customer-events"
FETCHED = 5


def record(offset: int) -> SimpleNamespace:
    """What aiokafka returns for one message."""
    return SimpleNamespace(
        topic=TOPIC,
        partition=0,
        offset=offset,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        headers=[],
        key=b"k",
        value=b"{}",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=2,
    )


def consumer_with_one_fetch(olf: Olf, callback: Callable[..., Any]) -> tuple[BatchingConsumer, Any]:
    """A consumer whose next fetch returns FETCHED messages of one partition, then stops."""
    app = olf.app
    tp = TP(TOPIC, 0)
    fetches = {"n": 0}
    fetcher = SimpleNamespace(_stopped=SimpleNamespace(is_set=lambda: fetches["n"] > 0))
    consumer = BatchingConsumer(
        app.transport,
        callback=callback,
        on_partitions_revoked=app._on_partitions_revoked,
        on_partitions_assigned=app._on_partitions_assigned,
        loop=asyncio.get_running_loop(),
    )

    async def one_fetch(_: float) -> tuple[dict[TP, list[SimpleNamespace]], set[TP]]:
        fetches["n"] += 1
        if fetches["n"] > 1:
            return {}, {tp}
        return {tp: [record(offset) for offset in range(FETCHED)]}, {tp}

    consumer._wait_next_records = one_fetch  # type: ignore[method-assign,assignment]
    consumer.highwater = lambda tp: FETCHED  # type: ignore[method-assign]
    return consumer, fetcher


async def test_faust_delivers_each_message_on_its_own(olf: Olf) -> None:
    delivered: list[Any] = []
    waits: list[int] = []

    async def callback(message: Any) -> None:
        delivered.append(message)

    consumer, fetcher = consumer_with_one_fetch(olf, callback)
    wait_first = consumer.wait_first

    async def counting_wait_first(*coros: Any, **kwargs: Any) -> Any:
        waits.append(len(coros))
        return await wait_first(*coros, **kwargs)

    consumer.wait_first = counting_wait_first  # type: ignore[method-assign]
    await FaustConsumer._drain_messages(consumer, fetcher)
    assert [message.offset for message in delivered] == list(range(FETCHED)), (
        "if this fails, faust-streaming changed how it delivers fetched messages:"
        " review app.workarounds.batch_delivery"
    )
    assert waits == [2] * FETCHED  # callback(message) and suspend_flow.wait(), per message


async def test_olf_delivers_a_fetch_as_one_batch(olf: Olf) -> None:
    delivered: list[Any] = []

    async def callback(message: Any) -> None:
        delivered.append(message)

    channel = aiter(olf.app.topic(TOPIC))  # as the agent's stream registers it
    consumer, fetcher = consumer_with_one_fetch(olf, callback)
    await consumer._drain_messages(fetcher)

    assert delivered == []  # nothing went through the per-message callback
    batch = channel.queue.get_nowait()
    assert isinstance(batch, MessageBatch)
    assert (batch.topic, batch.partition) == (TOPIC, 0)
    assert [message.offset for message in batch.messages] == list(range(FETCHED))
    assert channel.queue.empty()
    assert consumer._read_offset[TP(TOPIC, 0)] == FETCHED - 1
    assert (consumer.delivered.batches, consumer.delivered.messages) == (1, FETCHED)


async def test_olf_delivers_nothing_fetched_before_a_rebalance(olf: Olf) -> None:
    async def callback(message: Any) -> None:
        raise AssertionError("no message goes through the callback")

    channel = aiter(olf.app.topic(TOPIC))
    consumer, _ = consumer_with_one_fetch(olf, callback)
    tp = TP(TOPIC, 0)
    records = [record(offset) for offset in range(FETCHED)]
    stale_generation = olf.app.consumer_generation_id - 1

    await consumer._deliver(tp, records, stale_generation)

    assert channel.queue.empty()
    # The read offset stays where a rebalance's seek put it, so the messages come again.
    assert consumer._read_offset[tp] is None


async def test_an_acknowledged_batch_is_what_the_next_commit_covers(olf: Olf) -> None:
    async def callback(message: Any) -> None:
        raise AssertionError("no message goes through the callback")

    channel = aiter(olf.app.topic(TOPIC))
    consumer, fetcher = consumer_with_one_fetch(olf, callback)
    await consumer._drain_messages(fetcher)
    batch = channel.queue.get_nowait()
    tp = TP(TOPIC, 0)
    assert consumer._new_offset(tp) is None  # delivered, not yet durable

    consumer.acknowledge(batch.receipt())
    assert consumer._new_offset(tp) == FETCHED  # the offset after the batch's last message
