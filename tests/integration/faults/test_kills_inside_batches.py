"""``kill -9`` of the only worker at many random moments while events stream in.

Checkpoints run every 0.2 s and batches are small, so the kills land inside
batches, between a checkpoint's changelog writes and its commit, and
everywhere else; each restart keeps the worker's local state and reads only
the changelog's tail. Every answer must then equal the reference model.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable

import pytest

from tests.integration.answers import (
    assert_answers_equal_model,
    wait_until_processed,
    wait_until_processed_at_least,
    wait_until_ready,
)
from tests.integration.broker import Broker
from tests.integration.kafka_io import SteadyProducer
from tests.integration.worker import Worker
from tests.random_stream import random_stream
from tests.reference_model import ReferenceModel

EVENTS = 36_000
PARTITIONS = 8
KILLS = 6
#: Events per second produced: the stream outlasts the kills and restarts.
RATE = 1000.0


@pytest.mark.timeout(900)
def test_kills_at_random_moments_change_no_number(
    worker_factory: Callable[..., Worker],
    broker: Broker,
    events_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    worker = worker_factory(
        OLF_CHECKPOINT_INTERVAL="0.2",
        OLF_BATCH_SIZE="100",
        OLF_BROKER_SESSION_TIMEOUT="6",
    )
    stream = random_stream(seed=23, count=EVENTS, customers=3000, partitions=PARTITIONS, orders=0.3)
    producer = SteadyProducer(broker.bootstrap, events_topic, stream, RATE)
    producer.start()

    rng = random.Random(29)
    wait_until_processed_at_least(worker, 500, 120.0)
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.3, 2.5))  # somewhere in the middle of processing
        worker.stop(signal.SIGKILL)
        worker.start()
        recovery = wait_until_ready(worker, 120.0)
        record_property("recovery", f"killed at a random moment; covered again in {recovery:.1f}s")

    model = ReferenceModel.of(producer.result(300.0))
    remaining = wait_until_processed(worker, EVENTS, 600.0)
    record_property("recovery", f"finished {remaining:.1f}s after the last event was produced")
    assert_answers_equal_model(worker, model, PARTITIONS)
