"""Producing test streams to, and reading topics back from, the real broker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from agents.dead_letters import OFFSET_HEADER, PARTITION_HEADER
from tests.reference_model import ORDER_EVENTS, Sent


@asynccontextmanager
async def idempotent_producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent, acks=all aiokafka producer, as the Customer service uses."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


def topic_of(sent: Sent, topic: str) -> str:
    """Where a test sends ``sent``: ``topic``, or its order topic ``<topic>-orders``."""
    return order_topic(topic) if sent.topic == ORDER_EVENTS else topic


def order_topic(customer_topic: str) -> str:
    """The order topic of a test whose customer topic is ``customer_topic``."""
    return f"{customer_topic}-orders"


def as_placed(sent: Sent, partition: int) -> Sent:
    """``sent`` with the partition the producer gave it."""
    return Sent(partition, sent.key, sent.value, sent.facts, sent.topic)


async def produce(
    producer: AIOKafkaProducer, topic: str, stream: list[Sent]
) -> list[tuple[Sent, int]]:
    """Publish ``stream`` in order; return each message with the partition and offset it got.

    Order events go to ``topic``'s order topic (:func:`order_topic`). The
    producer's partitioner picks partitions (by key), the broker assigns
    offsets; the reference model needs both for dead letters.
    """
    pending = [
        await producer.send(topic_of(sent, topic), value=sent.value, key=sent.key)
        for sent in stream
    ]
    placed = []
    for sent, future in zip(stream, pending, strict=True):
        metadata = await future
        placed.append((as_placed(sent, metadata.partition), metadata.offset))
    return placed


async def read_topic(
    bootstrap: str, topic: str, expected: int, within: float = 60.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` from the beginning, once ``expected`` have arrived.

    Raises:
        AssertionError: fewer than ``expected`` records arrived ``within`` seconds.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + within
    try:
        while len(records) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
        # Anything beyond ``expected`` would be a bug too: give it a moment to show.
        await asyncio.sleep(1.0)
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    finally:
        await consumer.stop()
    assert len(records) >= expected, f"{topic}: {len(records)} of {expected} records arrived"
    return records


@asynccontextmanager
async def follow_topic(
    bootstrap: str, topic: str
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """A list that fills with every record of ``topic``, from the beginning, while in use.

    Read by a task of the running event loop, as a subscriber would, with no
    consumer group; the topic must exist.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []

    async def follow() -> None:
        while True:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)

    task = asyncio.create_task(follow(), name=f"follow-{topic}")
    try:
        yield records
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """The next offset of every partition of ``topic``."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap)
    await consumer.start()  # subscribed, so it has the topic's metadata
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"{topic} has no partitions"
        offsets: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return offsets
    finally:
        await consumer.stop()


async def delete_before(bootstrap: str, offsets: dict[TopicPartition, int]) -> None:
    """Delete every record before ``offsets``, as retention would have."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        low = await admin.delete_records(
            {tp: RecordsToDelete(offset) for tp, offset in offsets.items() if offset}
        )
    finally:
        await admin.close()
    assert low == {tp: offset for tp, offset in offsets.items() if offset}


def dead_letter_tuples(
    records: list[ConsumerRecord[bytes, bytes]],
) -> list[tuple[int, int, bytes | None, bytes | None]]:
    """(source partition, source offset, key, value) of dead letters, sorted by source."""
    found = []
    for record in records:
        headers = dict(record.headers)
        source = (int(headers[PARTITION_HEADER]), int(headers[OFFSET_HEADER]))
        found.append((*source, record.key, record.value))
    return sorted(found, key=lambda item: (item[0], item[1]))


class SteadyProducer(threading.Thread):
    """Publishes a stream at a steady rate from a thread of its own.

    A fast worker keeps up with the stream, so faults injected meanwhile (the
    test's own thread polls and kills) land while it is processing, not after.
    """

    def __init__(self, bootstrap: str, topic: str, stream: list[Sent], rate: float) -> None:
        super().__init__(name=f"produce-{topic}", daemon=True)
        self.bootstrap, self.topic, self.stream, self.rate = bootstrap, topic, stream, rate
        self.placed: list[tuple[Sent, int]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.placed = asyncio.run(self._produce())
        except BaseException as exc:  # reported by result()
            self.error = exc

    async def _produce(self) -> list[tuple[Sent, int]]:
        tick = 0.05
        chunk = max(1, round(self.rate * tick))
        async with idempotent_producer(self.bootstrap) as producer:
            started = time.monotonic()
            pending = []
            for start in range(0, len(self.stream), chunk):
                due = started + start / self.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                for sent in self.stream[start : start + chunk]:
                    topic = topic_of(sent, self.topic)
                    pending.append(await producer.send(topic, value=sent.value, key=sent.key))
            placed = []
            for sent, future in zip(self.stream, pending, strict=True):
                metadata = await future
                placed.append((as_placed(sent, metadata.partition), metadata.offset))
            return placed

    def result(self, timeout: float) -> list[tuple[Sent, int]]:
        """Each message with the partition and offset it got, once all are acknowledged."""
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError(f"producing to {self.topic} took over {timeout:.0f}s")
        if self.error is not None:
            raise self.error
        return self.placed
