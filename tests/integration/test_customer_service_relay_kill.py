"""A relay killed (SIGKILL) while it publishes a backlog, again and again, loses nothing.

The backlog is written with the relay off; then service processes with the
relay on are killed at a quarter, half and three quarters of the way, and a
last one finishes. Each kill may leave one batch acknowledged but not marked
sent, which is published again: duplicates are allowed (at most a batch per
kill), gaps are not, and OLF's counts must come out exact.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from customer_service.simulator import simulate
from tests.integration.broker import Broker
from tests.integration.customer_service_checks import (
    check_topic,
    outbox_events,
    outbox_pending,
    service_counts,
    wait_until_olf_matches,
)
from tests.integration.customer_service_process import TOKEN, CustomerServiceProcess
from tests.integration.kafka_io import read_topic
from tests.integration.worker import Worker

CHANGES = 600
KILLS = 3
BATCH_SIZE = 3
PUBLISH_TIMEOUT = 120.0


def published_at_least(count: int) -> Callable[[dict[str, Any]], bool]:
    """True for a ``/status`` answer once ``count`` outbox events are marked sent."""
    return lambda body: body["outbox"]["events"] - body["outbox"]["pending"] >= count


async def test_killing_the_relay_mid_publish_loses_nothing_and_olf_stays_exact(
    broker: Broker,
    customer_service_factory: Callable[..., CustomerServiceProcess],
    worker_factory: Callable[..., Worker],
    events_topic: str,
) -> None:
    writer = customer_service_factory(relay_enabled="false")
    tally = await simulate(
        writer.base_url, TOKEN, customers=100, changes=CHANGES, rate=1000, seed=8
    )
    assert not tally.failed, tally.first_errors
    writer.stop()
    written = await outbox_events(writer)
    assert len(written) == CHANGES

    for kill in range(1, KILLS + 1):
        threshold = CHANGES * kill // (KILLS + 1)
        relay = customer_service_factory(relay_batch_size=str(BATCH_SIZE))
        relay.wait_until(
            relay.status,
            published_at_least(threshold),
            PUBLISH_TIMEOUT,
            f"the relay to publish {threshold} events",
        )
        relay.stop(signal.SIGKILL)
        pending = await outbox_pending(relay)
        assert pending > 0, f"kill {kill} came after the relay had finished: not mid-publish"
        print(f"kill {kill}: {CHANGES - pending} of {CHANGES} events marked sent")

    last = customer_service_factory(relay_batch_size=str(BATCH_SIZE))
    last.wait_until_published(PUBLISH_TIMEOUT)

    records = await read_topic(broker.bootstrap, events_topic, CHANGES)
    repeats = check_topic(records, written, duplicates_allowed=KILLS * BATCH_SIZE)
    print(f"{repeats} events were published twice")
    worker = worker_factory()
    wait_until_olf_matches(worker, await service_counts(last))
