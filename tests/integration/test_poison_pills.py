"""A burst of 1,000 malformed messages: all dead-lettered, every number exact."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaProducer

from tests.integration.answers import assert_answers_equal_model, wait_until_processed
from tests.integration.broker import Broker
from tests.integration.kafka_io import dead_letter_tuples, produce, read_topic
from tests.integration.worker import Worker
from tests.random_stream import random_stream, with_poison_pills
from tests.reference_model import ReferenceModel

VALID = 10_000
PILLS = 1_000
PARTITIONS = 8


@pytest.mark.timeout(600)
async def test_poison_pills_are_all_dead_lettered(
    worker_factory: Callable[..., Worker],
    producer: AIOKafkaProducer,
    broker: Broker,
    events_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    worker = worker_factory()
    clean = random_stream(seed=23, count=VALID, customers=2000, partitions=PARTITIONS, malformed=0)
    stream = with_poison_pills(clean, PILLS, seed=29)
    model = ReferenceModel.of(await produce(producer, events_topic, stream))
    assert model.rejected == PILLS

    took = wait_until_processed(worker, VALID + PILLS, 300.0)
    record_property("recovery", f"{VALID} events and {PILLS} poison pills processed in {took:.1f}s")
    assert_answers_equal_model(worker, model, PARTITIONS)

    dead = await read_topic(broker.bootstrap, f"{events_topic}-dlq", PILLS)
    assert len(dead) == PILLS
    assert dead_letter_tuples(dead) == sorted(model.dead_letters, key=lambda item: item[:2])
