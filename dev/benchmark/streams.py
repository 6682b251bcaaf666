"""The benchmark's input: which events, and producing them, all at once or at a steady rate.

Every message carries its ground truth (:class:`tests.reference_model.Sent`), so
the reference model that checks the readers is built from what was produced,
in produce order (one producer: each partition, and so each customer, keeps it).

Producing uses confluent-kafka (librdkafka, in the ``bench`` extra beside Quix
Streams): about 115,000 messages/s here against aiokafka's 18,000, so a
million-customer prefill takes seconds, not a minute, and the producer's CPU
time stays small beside the readers it feeds on this two-core machine.
Idempotent with ``acks=all``, as the Customer service publishes, so retries
neither reorder nor duplicate.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from tests.messages import COUNTRIES, SEGMENTS, STATUSES, valid_message
from tests.random_stream import START, random_stream
from tests.reference_model import ORDER_EVENTS, Facts, ReferenceModel, Sent

#: Partitions of every input topic (OLF's default, and its changelog's).
PARTITIONS = 8
#: Seconds to wait for the broker to acknowledge what was produced.
FLUSH_TIMEOUT = 120.0


def order_topic(topic: str) -> str:
    """The order topic of a run whose customer topic is ``topic`` (its workers read both)."""
    return f"{topic}-orders"


def mixed_events(events: int, customers: int, seed: int = 1, orders: float = 0.0) -> list[Sent]:
    """The throughput input: ``tests.random_stream`` (updates, deletes, retries, ~2% malformed).

    Without snapshots (``customer.snapshot``, a republish's): the workload stays
    the change events the throughput target was set on, and Quix Streams' reader
    implements the contract for those only. ``orders``: that share are order events.
    """
    return random_stream(
        seed=seed,
        count=events,
        customers=customers,
        partitions=PARTITIONS,
        snapshots=0.0,
        orders=orders,
    )


def customer_id(number: int) -> str:
    return f"cust-{number:07d}"


def _profile(rng: random.Random) -> tuple[str, str, str]:
    return (rng.choice(COUNTRIES), rng.choice(SEGMENTS), rng.choice(STATUSES))


def created_customers(customers: int, seed: int = 2) -> list[Sent]:
    """One ``customer.created`` (version 1) for each of ``customers`` customers."""
    rng = random.Random(seed)
    return [
        valid_message(
            Facts(customer_id(n), "customer.created", 1, START + n * 0.001, _profile(rng)),
            PARTITIONS,
        )
        for n in range(customers)
    ]


def updates_of(customers: int, seed: int = 3) -> Iterator[Sent]:
    """Endless ``customer.updated`` events of random customers created by :func:`created_customers`.

    Versions go up by one per customer from 2, so every update is applied.
    """
    rng = random.Random(seed)
    versions: dict[int, int] = {}
    moment = START + customers * 0.001
    while True:
        number = rng.randrange(customers)
        versions[number] = versions.get(number, 1) + 1
        moment += 0.001
        facts = Facts(
            customer_id(number), "customer.updated", versions[number], moment, _profile(rng)
        )
        yield valid_message(facts, PARTITIONS)


def reference_model(stream: Iterable[Sent]) -> ReferenceModel:
    """The answers every stateful reader must give after reading ``stream``, in order.

    Offsets only place dead letters, which the benchmark does not check, so
    every message is given offset 0.
    """
    return ReferenceModel.of((sent, 0) for sent in stream)


def _producer(bootstrap: str, linger_ms: int) -> Any:  # confluent-kafka is untyped
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": linger_ms,
            "queue.buffering.max.messages": 1_000_000,
        }
    )


@dataclass
class Deliveries:
    """Counts the broker's acknowledgements; keeps the first errors."""

    acknowledged: int = 0
    errors: list[str] = field(default_factory=list)

    def report(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.acknowledged += 1
        elif len(self.errors) < 3:
            self.errors.append(str(error))

    def send(self, producer: Any, topic: str, sent: Sent) -> None:
        """Hand ``sent`` to ``producer``, waiting while its queue is full."""
        while True:
            try:
                producer.produce(topic, sent.value, sent.key, on_delivery=self.report)
                return
            except BufferError:
                producer.poll(0.05)

    def finish(self, producer: Any, expected: int) -> None:
        """Wait until every message is acknowledged; raise ``RuntimeError`` if one failed."""
        producer.flush(FLUSH_TIMEOUT)
        if self.errors or self.acknowledged != expected:
            raise RuntimeError(
                f"{expected - self.acknowledged} of {expected} messages not produced: {self.errors}"
            )


def produce_all(bootstrap: str, topic: str, stream: list[Sent]) -> None:
    """Produce ``stream`` in order, as fast as the broker takes it; orders to :func:`order_topic`.

    Raises:
        RuntimeError: a message was not acknowledged.
    """
    producer = _producer(bootstrap, linger_ms=20)
    deliveries = Deliveries()
    for index, sent in enumerate(stream):
        deliveries.send(producer, order_topic(topic) if sent.topic == ORDER_EVENTS else topic, sent)
        if index % 1000 == 0:
            producer.poll(0)  # serves delivery reports, so the queue drains
    deliveries.finish(producer, len(stream))


@dataclass
class SteadyProducer:
    """Produces ``messages`` at ``rate`` per second from a thread of its own until stopped.

    Sends in ticks of :attr:`TICK` seconds, each message when it falls due, and
    records the monotonic time at which each was handed to the producer (which
    sends at once: no linger). ``limit`` stops it by itself after that many.
    """

    bootstrap: str
    topic: str
    messages: Iterator[Sent]
    rate: float
    limit: int | None = None
    sent: list[Sent] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _error: BaseException | None = None

    TICK = 0.005

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="steady-producer", daemon=True)
        self._thread.start()

    def stop(self) -> list[Sent]:
        """Stop sending, wait for every acknowledgement; return the messages sent, in order.

        Raises:
            RuntimeError: producing failed (the cause is chained).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise RuntimeError("the steady producer failed") from self._error
        return self.sent

    def _run(self) -> None:
        try:
            self._produce()
        except BaseException as exc:  # handed to stop(): a thread cannot raise to its caller
            self._error = exc

    def _produce(self) -> None:
        producer = _producer(self.bootstrap, linger_ms=0)
        deliveries = Deliveries()
        started = time.monotonic()
        while not self._stop.is_set():
            due = int((time.monotonic() - started) * self.rate)
            if self.limit is not None:
                due = min(due, self.limit)
            while len(self.sent) < due:
                sent = next(self.messages)
                self.sent.append(sent)
                self.sent_at.append(time.monotonic())
                deliveries.send(producer, self.topic, sent)
            if self.limit is not None and len(self.sent) >= self.limit:
                break
            producer.poll(self.TICK)
        deliveries.finish(producer, len(self.sent))
