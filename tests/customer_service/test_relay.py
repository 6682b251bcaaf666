"""The outbox relay's ordering, acknowledgement and retry rules, with a recording publisher.

The real broker is in ``tests/integration/test_customer_service_*.py``; here
a publisher that fails on command shows what the relay does with each outcome.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select, update

from customer_service.customer_store import CustomerStore
from customer_service.outbox import OUTBOX
from customer_service.schema import outbox
from customer_service.settings import Settings
from infrastructure.database import Database
from infrastructure.outbox import Acknowledged, OutboxEntry
from infrastructure.outbox_relay import OutboxRelay, RelayError

NEW = {
    "name": "Ada",
    "email": "ada@example.com",
    "country": "NL",
    "segment": "smb",
    "status": "active",
}


class RecordingPublisher:
    """Acknowledges entries as partition 0, offsets 0, 1, ...; ``fail`` picks the ones it fails."""

    def __init__(self, fail: Callable[[OutboxEntry], bool] = lambda _entry: False) -> None:
        self.fail = fail
        self.attempts: list[tuple[str, int]] = []
        self.acknowledged: list[tuple[str, int]] = []
        self.rounds: list[list[tuple[str, int]]] = []
        self.failed_starts = 0
        self.starts_to_fail = 0

    async def start(self) -> None:
        if self.failed_starts < self.starts_to_fail:
            self.failed_starts += 1
            raise ConnectionError("broker unreachable")

    async def stop(self) -> None:
        pass

    async def publish(self, entries: Sequence[OutboxEntry]) -> list[Acknowledged | Exception]:
        results: list[Acknowledged | Exception] = []
        self.rounds.append([(entry.key_text, entry.version) for entry in entries])
        for entry in entries:
            self.attempts.append((entry.key_text, entry.version))
            if self.fail(entry):
                results.append(TimeoutError("no acknowledgement"))
            else:
                results.append(Acknowledged(entry.id, 0, len(self.acknowledged)))
                self.acknowledged.append((entry.key_text, entry.version))
        return results


def relay_settings(settings: Settings, **overrides: object) -> Settings:
    quick: dict[str, object] = {
        "relay_enabled": True,
        "relay_backoff_initial": 0.01,
        "relay_backoff_max": 0.05,
        "relay_poll_interval": 0.05,
    }
    return replace(settings, **(quick | overrides))  # type: ignore[arg-type]


async def drain(relay: OutboxRelay, publisher: RecordingPublisher, rounds: int = 100) -> None:
    """Run rounds until nothing is pending, retrying failed ones like :meth:`run` does."""
    for _ in range(rounds):
        try:
            if await relay.publish_round(publisher) == 0:
                return
        except RelayError:
            continue
    raise AssertionError(f"the outbox did not drain in {rounds} rounds")


async def test_a_round_sends_the_oldest_pending_event_of_each_customer_only(
    store: CustomerStore, settings: Settings
) -> None:
    ada = await store.create(NEW)
    await store.update(ada.customer_id, {"country": "DE"})
    bob = await store.create(NEW)
    await store.update(ada.customer_id, {"country": "BE"})
    publisher = RecordingPublisher()
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings))

    await drain(relay, publisher)

    assert publisher.rounds == [
        [(ada.customer_id, 1), (bob.customer_id, 1)],
        [(ada.customer_id, 2)],
        [(ada.customer_id, 3)],
    ]


async def test_a_round_takes_at_most_the_batch_size(
    store: CustomerStore, settings: Settings
) -> None:
    for _ in range(5):
        await store.create(NEW)
    publisher = RecordingPublisher()
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings, relay_batch_size=2))

    await drain(relay, publisher)

    assert [len(batch) for batch in publisher.rounds] == [2, 2, 1]


async def test_acknowledged_events_are_marked_with_partition_and_offset(
    store: CustomerStore, settings: Settings
) -> None:
    await store.create(NEW)
    await store.create(NEW)
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings))

    assert await relay.publish_round(RecordingPublisher()) == 2

    async with store.database.read() as connection:
        rows = (await connection.execute(select(outbox).order_by(outbox.c.id))).all()
    assert [(row.kafka_partition, row.kafka_offset) for row in rows] == [(0, 0), (0, 1)]
    assert all(row.sent_at is not None for row in rows)
    assert (await OUTBOX.status(store.database)).pending == 0


async def test_an_unacknowledged_event_stays_pending_and_goes_before_later_versions(
    store: CustomerStore, settings: Settings
) -> None:
    ada = await store.create(NEW)
    bob = await store.create(NEW)
    await store.update(ada.customer_id, {"status": "inactive"})
    failures_left = [1]

    def fail_ada_once(entry: OutboxEntry) -> bool:
        if entry.key_text == ada.customer_id and failures_left[0]:
            failures_left[0] -= 1
            return True
        return False

    publisher = RecordingPublisher(fail_ada_once)
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings))

    with pytest.raises(RelayError, match="1 of 2 events not acknowledged"):
        await relay.publish_round(publisher)
    # Bob's event was acknowledged in the same batch: marked, never sent again.
    assert (await OUTBOX.status(store.database)).pending == 2
    await drain(relay, publisher)

    assert publisher.attempts == [
        (ada.customer_id, 1),
        (bob.customer_id, 1),
        (ada.customer_id, 1),
        (ada.customer_id, 2),
    ]


async def test_under_random_failures_each_version_is_acknowledged_once_in_order(
    store: CustomerStore, settings: Settings
) -> None:
    rng = random.Random(42)
    ids = [(await store.create(NEW)).customer_id for _ in range(20)]
    for _ in range(200):
        customer_id = rng.choice(ids)
        await store.update(customer_id, {"email": f"a{rng.randrange(10**9)}@example.com"})
    for customer_id in ids[:5]:
        await store.delete(customer_id)
    publisher = RecordingPublisher(lambda _entry: rng.random() < 0.3)
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings))

    await drain(relay, publisher, rounds=1000)

    async with store.database.read() as connection:
        expected = (await connection.execute(select(outbox.c.customer_id, outbox.c.version))).all()
    acknowledged: defaultdict[str, list[int]] = defaultdict(list)
    for customer_id, version in publisher.acknowledged:
        acknowledged[customer_id].append(version)
    newest: defaultdict[str, int] = defaultdict(int)
    for customer_id, version in expected:
        newest[customer_id] = max(newest[customer_id], version)
    assert len(publisher.attempts) > len(expected), "the test should have failed some sends"
    assert dict(acknowledged) == {cid: list(range(1, top + 1)) for cid, top in newest.items()}


async def test_run_waits_out_an_unreachable_broker_and_then_publishes(
    store: CustomerStore, settings: Settings
) -> None:
    await store.create(NEW)
    publisher = RecordingPublisher()
    publisher.starts_to_fail = 3
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings), lambda: publisher)

    task = asyncio.create_task(relay.run())
    try:
        await wait_for(lambda: bool(publisher.acknowledged), "the event to be published")
    finally:
        relay.stop()
        await asyncio.wait_for(task, 5)

    assert publisher.failed_starts == 3
    assert relay.state.failures == 3
    assert relay.state.last_error == "ConnectionError: broker unreachable"
    assert relay.state.published == 1
    assert relay.state.running is False


async def test_a_committed_change_wakes_the_relay_before_its_next_poll(
    database: Database, settings: Settings
) -> None:
    publisher = RecordingPublisher()
    relay = OutboxRelay(
        database, OUTBOX, relay_settings(settings, relay_poll_interval=60.0), lambda: publisher
    )
    store = CustomerStore(database, on_change=relay.wake)
    task = asyncio.create_task(relay.run())
    try:
        await wait_for(lambda: relay.state.connected, "the relay to connect")
        await asyncio.sleep(0.1)  # the relay is now idle, waiting up to 60s
        created = await store.create(NEW)
        await wait_for(lambda: bool(publisher.acknowledged), "the woken relay to publish", 5.0)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 5)

    assert publisher.acknowledged == [(created.customer_id, 1)]


async def test_the_published_bytes_are_the_stored_event(
    store: CustomerStore, settings: Settings
) -> None:
    created = await store.create(NEW)
    seen: list[OutboxEntry] = []

    def look_and_fail(entry: OutboxEntry) -> bool:
        seen.append(entry)
        return True

    publisher = RecordingPublisher(look_and_fail)
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings))

    with pytest.raises(RelayError):
        await relay.publish_round(publisher)

    (entry,) = seen
    assert entry.key == created.customer_id.encode()
    assert orjson.loads(entry.payload)["customer_id"] == created.customer_id


async def wait_for(condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
    try:
        async with asyncio.timeout(within):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out after {within}s waiting for {what}") from None


async def sent_ago(store: CustomerStore, ages: dict[str, timedelta]) -> None:
    """Backdate the sent time of each customer's events by its age."""
    async with store.database.write() as connection:
        for customer_id, age in ages.items():
            await connection.execute(
                update(outbox)
                .where(outbox.c.customer_id == customer_id)
                .values(sent_at=datetime.now(UTC) - age)
            )


async def outbox_customers(store: CustomerStore) -> list[str]:
    async with store.database.read() as connection:
        rows = await connection.execute(select(outbox.c.customer_id).order_by(outbox.c.id))
        return [row.customer_id for row in rows]


async def test_sent_events_past_the_retention_are_pruned_and_pending_ones_kept(
    store: CustomerStore, settings: Settings
) -> None:
    old, recent = await store.create(NEW), await store.create(NEW)
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings, outbox_retention=3600.0))
    await drain(relay, RecordingPublisher())
    await sent_ago(store, {old.customer_id: timedelta(hours=2), recent.customer_id: timedelta(0)})
    pending = await store.create(NEW)  # never sent: kept whatever its age

    assert await relay.prune_if_due() == 1
    assert await outbox_customers(store) == [recent.customer_id, pending.customer_id]
    assert relay.state.pruned == 1


async def test_pruning_waits_for_its_interval_and_retention_0_keeps_everything(
    store: CustomerStore, settings: Settings
) -> None:
    first, second = await store.create(NEW), await store.create(NEW)
    relay = OutboxRelay(store.database, OUTBOX, relay_settings(settings, outbox_retention=3600.0))
    await drain(relay, RecordingPublisher())
    await sent_ago(store, {first.customer_id: timedelta(hours=2)})
    assert await relay.prune_if_due() == 1
    await sent_ago(store, {second.customer_id: timedelta(hours=2)})

    assert await relay.prune_if_due() == 0, "pruned again within PRUNE_INTERVAL"

    keeping = OutboxRelay(store.database, OUTBOX, relay_settings(settings, outbox_retention=0.0))
    assert await keeping.prune_if_due() == 0
    assert await outbox_customers(store) == [second.customer_id]
