"""A second worker joins mid-stream; then the first is killed with ``kill -9``."""

from __future__ import annotations

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

EVENTS = 40_000
PARTITIONS = 8
#: Events per second produced: the stream lasts through the join and the kill.
RATE = 1500.0


@pytest.mark.timeout(900)
def test_join_then_kill_changes_no_number(
    worker_factory: Callable[..., Worker],
    broker: Broker,
    events_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    first = worker_factory()
    stream = random_stream(seed=17, count=EVENTS, customers=5000, partitions=PARTITIONS, orders=0.3)
    producer = SteadyProducer(broker.bootstrap, events_topic, stream, RATE)
    producer.start()

    wait_until_processed_at_least(first, EVENTS // 5, 300.0)
    second = worker_factory()  # joins: a rebalance hands it half the partitions
    rebalance = wait_until_ready(second, 180.0)
    record_property(
        "recovery", f"second worker joined; all partitions covered after {rebalance:.1f}s"
    )

    reached = wait_until_processed_at_least(second, EVENTS // 2, 300.0)
    first.stop(signal.SIGKILL)
    failover = wait_until_ready(second, 180.0)
    record_property(
        "recovery", f"first worker killed at {reached} processed; failover took {failover:.1f}s"
    )

    model = ReferenceModel.of(producer.result(300.0))
    wait_until_processed(second, EVENTS, 600.0)
    assert_answers_equal_model(second, model, PARTITIONS)
