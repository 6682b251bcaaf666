"""A worker restarted with its local RocksDB directory deleted restores everything."""

from __future__ import annotations

import shutil
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

EVENTS = 30_000
PARTITIONS = 8
#: Events per second produced: the stream goes on while the worker restarts.
RATE = 1500.0


@pytest.mark.timeout(900)
def test_restart_without_local_state_changes_no_number(
    worker_factory: Callable[..., Worker],
    broker: Broker,
    events_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    worker = worker_factory()
    stream = random_stream(seed=19, count=EVENTS, customers=4000, partitions=PARTITIONS, orders=0.3)
    producer = SteadyProducer(broker.bootstrap, events_topic, stream, RATE)
    producer.start()

    reached = wait_until_processed_at_least(worker, EVENTS // 2, 300.0)
    worker.stop()  # a clean stop: its RocksDB files would be trusted...
    tables = worker.table_dirs()
    assert tables, f"no RocksDB tables under {worker.env['OLF_DATA_DIR']}"
    for directory in tables:
        shutil.rmtree(directory)  # ...but they are gone
    worker.start()
    recovery = wait_until_ready(worker, 180.0)
    record_property(
        "recovery",
        f"stopped at {reached} processed; restored from the changelog in {recovery:.1f}s",
    )

    model = ReferenceModel.of(producer.result(300.0))
    wait_until_processed(worker, EVENTS, 600.0)
    assert_answers_equal_model(worker, model, PARTITIONS)
