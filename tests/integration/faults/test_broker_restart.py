"""The broker stops and comes back while the worker is processing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.integration.answers import (
    assert_answers_equal_model,
    wait_until_processed,
    wait_until_processed_at_least,
)
from tests.integration.broker import PrivateBroker
from tests.integration.kafka_io import SteadyProducer
from tests.integration.worker import Worker
from tests.random_stream import random_stream
from tests.reference_model import ReferenceModel

EVENTS = 30_000
PARTITIONS = 8
OUTAGE_SECONDS = 5.0
#: Events per second produced: the stream goes on through the outage.
RATE = 1500.0


@pytest.mark.timeout(900)
async def test_broker_restart_during_processing_changes_no_number(
    private_broker: PrivateBroker,  # first: torn down last, after the worker has stopped
    worker_factory: Callable[..., Worker],
    events_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    worker = worker_factory(OLF_BROKER_URL=private_broker.url)
    stream = random_stream(seed=13, count=EVENTS, customers=4000, partitions=PARTITIONS, orders=0.3)
    producer = SteadyProducer(private_broker.bootstrap, events_topic, stream, RATE)
    producer.start()

    reached = wait_until_processed_at_least(worker, EVENTS // 4, 300.0)
    private_broker.stop()
    await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself: nothing to poll for
    private_broker.start()
    record_property(
        "recovery", f"broker stopped at {reached} processed, back after {OUTAGE_SECONDS:.0f}s"
    )

    model = ReferenceModel.of(producer.result(300.0))
    recovery = wait_until_processed(worker, EVENTS, 600.0)
    record_property("recovery", f"all processed {recovery:.1f}s after the last event was produced")
    assert_answers_equal_model(worker, model, PARTITIONS)
