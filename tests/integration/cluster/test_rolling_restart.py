"""A rolling restart of the three brokers while the Customer service publishes through its outbox.

The simulator changes customers through the service's API all along; the
relay publishes the outbox (``acks=all``) and two OLF workers count it. Each
node is stopped cleanly (it hands its leaderships over first), restarted, and
the next one waits until every replica is in sync again, as an operator's
rolling restart would. Afterwards every event of the outbox must be on the
topic, in order per customer; OLF's counts must equal the service's
database; and ``reconcile`` must exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import pytest

from customer_service.simulator import simulate
from tests.integration.broker import NODES, KafkaCluster
from tests.integration.cluster.replicas import REPLICATED_ENV, fully_in_sync, wait_for_partitions
from tests.integration.customer_service_checks import (
    check_topic,
    outbox_events,
    reconcile,
    service_counts,
    wait_until_olf_matches,
)
from tests.integration.customer_service_process import TOKEN, CustomerServiceProcess
from tests.integration.kafka_io import read_topic
from tests.integration.ready_workers import start_ready_workers
from tests.integration.worker import Worker

pytestmark = pytest.mark.faults

#: Customer changes per second through the API, during the whole restart.
RATE = 20.0
RELAY_BATCH_SIZE = 50
#: A relay round that times out in a node's restart re-sends at most its batch.
DUPLICATES_ALLOWED = len(NODES) * RELAY_BATCH_SIZE


@pytest.mark.timeout(600)
async def test_a_rolling_restart_loses_no_event_and_olf_stays_exact(
    broker: KafkaCluster,
    worker_factory: Callable[..., Worker],
    customer_service_factory: Callable[..., CustomerServiceProcess],
    events_topic: str,
    record_property: Callable[[str, object], None],
) -> None:
    workers = start_ready_workers(worker_factory, 2, **REPLICATED_ENV)
    service = customer_service_factory(relay_batch_size=str(RELAY_BATCH_SIZE))
    traffic = asyncio.create_task(
        simulate(service.base_url, TOKEN, customers=300, changes=0, rate=RATE, seed=29)
    )
    await asyncio.sleep(3.0)  # traffic flowing before the first node goes

    for node in NODES:
        began = time.monotonic()
        await asyncio.to_thread(broker.stop_node, node)
        stopped = time.monotonic() - began
        await asyncio.to_thread(broker.start_node, node)
        started = time.monotonic() - began - stopped
        synced = await wait_for_partitions(
            broker.bootstrap, fully_in_sync, 120.0, "replicas in sync"
        )
        record_property(
            "recovery",
            f"broker {node}: stopped in {stopped:.1f}s, started in {started:.1f}s, every"
            f" replica in sync {synced:.1f}s later: {time.monotonic() - began:.1f}s in all",
        )

    await asyncio.sleep(2.0)  # traffic after the last restart too
    traffic.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await traffic
    restarted = time.monotonic()
    service.wait_until_published(120.0)
    written = await outbox_events(service)
    counts = await service_counts(service)
    wait_until_olf_matches(workers[0], counts)
    record_property(
        "recovery",
        f"{len(written)} outbox events published and counted by OLF"
        f" {time.monotonic() - restarted:.1f}s after the last restart",
    )

    records = await read_topic(broker.bootstrap, events_topic, len(written))
    repeats = check_topic(records, written, duplicates_allowed=DUPLICATES_ALLOWED)
    print(f"{repeats} events were published twice")
    wait_until_olf_matches(workers[1], counts)
    code, output = await reconcile(service, workers[1])
    assert (code, "no drift" in output) == (0, True), output
