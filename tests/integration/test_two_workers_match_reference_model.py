"""Two workers, eight partitions, ten thousand events of two topics: every answer equals the model.

A third of the messages are orders, joined with the customers they belong to
(some placed before their customer exists, some cancelled, some malformed).

The workers share an internal token, so every complete answer also shows that
they accept each other's internal requests; an outsider gets 401.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from urllib.error import HTTPError
from urllib.parse import quote

import pytest
from aiokafka import AIOKafkaProducer

from agents.dead_letters import REASON_HEADER, TOPIC_HEADER
from app.queries.cluster import default_partition
from tests.expected_answers import SUMMARY
from tests.integration.answers import (
    assert_answers_equal_model,
    not_found,
    wait_until_processed,
    wait_until_ready,
)
from tests.integration.broker import Broker
from tests.integration.kafka_io import dead_letter_tuples, order_topic, produce, read_topic
from tests.integration.worker import Worker
from tests.messages import valid_message
from tests.random_stream import random_stream
from tests.reference_model import Facts, ReferenceModel

EVENTS = 10_000
PARTITIONS = 8
INTERNAL_TOKEN = "shared-by-the-two-workers"
#: Ids a client could send to steer the workers' internal requests (before escaping:
#: ``../report`` made the fan-out call ``/api/internal/report`` and answer 500).
#: Seconds from producing an event until another worker's summary counts it: the
#: documented bound for a processed event (2.1 s), plus time to fetch and process it.
VISIBLE_WITHIN = 3.0
HOSTILE_IDS = ["../report", "../../stats/summary", "..", "a/b?metrics=x#y", "%2F", "x" * 200]


async def test_two_workers_answer_exactly_what_the_model_says(
    request: pytest.FixtureRequest,
    worker_factory: Callable[..., Worker],
    producer: AIOKafkaProducer,
    broker: Broker,
    events_topic: str,
) -> None:
    first, second = (worker_factory(OLF_INTERNAL_TOKEN=INTERNAL_TOKEN) for _ in range(2))
    for worker in (first, second):
        wait_until_ready(worker, 90.0)

    stream = random_stream(seed=7, count=EVENTS, customers=1500, partitions=PARTITIONS, orders=0.3)
    started = time.monotonic()
    model = ReferenceModel.of(await produce(producer, events_topic, stream))
    assert model.rejected > 100, "the stream should exercise rejections"
    assert model.duplicates > 300, "the stream should exercise duplicates"
    assert model.order_rejected > 30, "and rejections of orders"
    assert model.order_duplicates > 50, "and duplicate orders"
    assert "unknown" in model.order_counts("country"), "and orders of unknown customers"

    for worker in (first, second):
        wait_until_processed(worker, EVENTS, 240.0)
        print(f"{worker.base_url}: all processed {time.monotonic() - started:.1f}s after producing")
        assert_answers_equal_model(worker, model, PARTITIONS)

    for customer_id in HOSTILE_IDS:
        path = "/api/customers/" + quote(customer_id, safe="")
        assert "no customer" in not_found(first, path)["message"], path
    with pytest.raises(HTTPError) as refused:
        second.get_json("/api/internal/reports")
    assert refused.value.code == 401

    for topic, letters in (
        (events_topic, model.dead_letters),
        (order_topic(events_topic), model.order_dead_letters),
    ):
        dead = await read_topic(broker.bootstrap, f"{topic}-dlq", len(letters))
        assert dead_letter_tuples(dead) == sorted(letters, key=lambda item: item[:2])
        for record in dead:
            headers = dict(record.headers)
            assert headers[TOPIC_HEADER] == topic.encode()
            assert headers[REASON_HEADER]

    # Freshness (docs/api.md#freshness): a new customer of a partition the
    # second worker owns is in the first worker's answers within the bound.
    owned = set(second.get_json("/api/ready")["partitions"])
    ids = (f"fresh-{n}" for n in itertools.count())
    fresh = next(one for one in ids if default_partition(one.encode(), PARTITIONS) in owned)
    total = first.get_json(SUMMARY)["customers"]["total"]
    facts = Facts(fresh, "customer.created", 1, time.time(), ("NL", "smb", "active"))
    sent_at = time.monotonic()
    await produce(producer, events_topic, [valid_message(facts, PARTITIONS)])
    while first.get_json(SUMMARY)["customers"]["total"] == total:
        assert time.monotonic() - sent_at < VISIBLE_WITHIN, "not visible on the other worker"
        await asyncio.sleep(0.01)
    seconds = time.monotonic() - sent_at
    request.node.user_properties.append(
        ("produced -> visible on the other worker", f"{seconds:.2f} s")
    )
    # Asked of the worker that does not own it: answered by the one that does.
    assert first.get_json(f"/api/customers/{fresh}")["version"] == 1
