"""``kill -9`` of the only worker three times while 50,000 events stream in."""

from __future__ import annotations

import random
import signal
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

EVENTS = 50_000
PARTITIONS = 8
KILLS = 3
#: Events per second produced: the stream lasts longer than the three restarts.
RATE = 1500.0


@pytest.mark.timeout(1200)
def test_three_kills_during_processing_change_no_number(
    worker_factory: Callable[..., Worker],
    broker: Broker,
    events_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    # The shortest session the settings allow: a restarted worker waits that long
    # for its killed self to leave the group.
    worker = worker_factory(OLF_BROKER_SESSION_TIMEOUT="6")
    stream = random_stream(seed=11, count=EVENTS, customers=5000, partitions=PARTITIONS, orders=0.3)
    producer = SteadyProducer(broker.bootstrap, events_topic, stream, RATE)
    producer.start()

    rng = random.Random(5)
    kill_points = sorted(rng.sample(range(EVENTS // 20, EVENTS * 9 // 10), KILLS))
    for kill_point in kill_points:
        reached = wait_until_processed_at_least(worker, kill_point, 300.0)
        worker.stop(signal.SIGKILL)
        worker.start()
        recovery = wait_until_ready(worker, 180.0)
        record_property("recovery", f"killed at {reached} processed; recovered in {recovery:.1f}s")

    model = ReferenceModel.of(producer.result(300.0))
    remaining = wait_until_processed(worker, EVENTS, 600.0)
    record_property("recovery", f"finished {remaining:.1f}s after the last recovery")
    assert_answers_equal_model(worker, model, PARTITIONS)
