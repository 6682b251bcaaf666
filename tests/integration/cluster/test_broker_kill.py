"""``kill -9`` of the broker that leads the most of OLF's partitions, mid-stream, then its restart.

Two workers process a known stream that an idempotent ``acks=all`` producer
sends to the three-node cluster. The node that leads the most input and
changelog partitions is killed: its partitions get new leaders only once the
controller gives up on it (broker.session.timeout.ms, 9 s). Meanwhile the
producer's and the checkpoints' writes to those partitions wait and are
retried. Every message the producer had acknowledged must be counted, once:
both workers' answers must equal the reference model of exactly those.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.integration.answers import (
    assert_answers_equal_model,
    wait_until_processed,
    wait_until_processed_at_least,
)
from tests.integration.broker import KafkaCluster
from tests.integration.cluster.replicas import (
    REPLICATED_ENV,
    fully_in_sync,
    leaders,
    led_without,
    partition_states,
    replication_of,
    wait_for_partitions,
)
from tests.integration.kafka_io import SteadyProducer, order_topic
from tests.integration.ready_workers import start_ready_workers
from tests.integration.worker import Worker
from tests.random_stream import random_stream
from tests.reference_model import ReferenceModel

pytestmark = pytest.mark.faults

EVENTS = 24_000
PARTITIONS = 8
#: Events per second produced: the stream goes on through the kill and the restart.
RATE = 1200.0


@pytest.mark.timeout(600)
async def test_killing_the_busiest_broker_loses_no_acknowledged_event(
    broker: KafkaCluster,
    worker_factory: Callable[..., Worker],
    events_topic: str,
    unique_name: str,
    record_property: Callable[[str, object], None],
) -> None:
    workers = start_ready_workers(worker_factory, 2, **REPLICATED_ENV)
    changelog = f"{unique_name}-statistics-changelog"
    leader_topic = f"{unique_name}-__assignor-__leader"  # Faust's own
    inputs = [events_topic, order_topic(events_topic)]
    own_topics = [*inputs, *(f"{topic}-dlq" for topic in inputs), changelog, leader_topic]
    assert await replication_of(broker.bootstrap, own_topics) == {
        topic: (3, "2") for topic in own_topics
    }

    stream = random_stream(seed=23, count=EVENTS, customers=4000, partitions=PARTITIONS, orders=0.3)
    producer = SteadyProducer(broker.bootstrap, events_topic, stream, RATE)
    producer.start()
    reached = wait_until_processed_at_least(workers[0], EVENTS // 3, 300.0)

    busiest_topics = [*inputs, changelog]
    led = leaders(await partition_states(broker.bootstrap, busiest_topics))
    victim, count = min(led.items(), key=lambda item: (-item[1], item[0]))
    killed_at = time.monotonic()
    broker.kill_node(victim)
    moved = await wait_for_partitions(
        broker.bootstrap, led_without(victim), 60.0, f"new leaders for broker {victim}'s"
    )
    broker.start_node(victim)
    in_sync = await wait_for_partitions(
        broker.bootstrap, fully_in_sync, 120.0, "every replica back in sync"
    )
    back = time.monotonic() - killed_at

    model = ReferenceModel.of(producer.result(300.0))
    caught_up = max(wait_until_processed(worker, EVENTS, 300.0) for worker in workers)
    record_property(
        "recovery",
        f"broker {victim} (leader of {count} of {2 * PARTITIONS} input and changelog"
        f" partitions) killed at {reached} processed; new leaders after {moved:.1f}s;"
        f" restarted, every replica in sync {back:.1f}s after the kill"
        f" (the wait for sync: {in_sync:.1f}s); all processed {caught_up:.1f}s after the"
        " last event was produced",
    )
    for worker in workers:
        assert_answers_equal_model(worker, model, PARTITIONS)
