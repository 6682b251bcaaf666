"""Republishing: one snapshot per selected customer in the outbox, each one OLF accepts."""

from __future__ import annotations

from sqlalchemy import select

from customer_service.customer_event import SNAPSHOT
from customer_service.customer_store import CustomerStore
from customer_service.outbox import OUTBOX
from customer_service.reconciliation import Drift, drifting_buckets
from customer_service.republish import republish
from customer_service.schema import outbox
from models import customer_event as olf_contract
from tests.customer_service.conftest import customer_body


async def snapshots(store: CustomerStore) -> dict[str, olf_contract.CustomerEvent]:
    """The snapshots in the outbox by customer, parsed by OLF's own parser."""
    async with store.database.read() as connection:
        rows = (
            await connection.execute(
                select(outbox).where(outbox.c.type == SNAPSHOT).order_by(outbox.c.id)
            )
        ).all()
    parsed = {}
    for row in rows:
        event = olf_contract.parse_customer_event(row.customer_id.encode(), row.payload)
        assert (event.type, event.version) == (SNAPSHOT, row.version)
        parsed[event.customer_id] = event
    assert len(parsed) == len(rows), "one snapshot per customer"
    return parsed


async def test_every_customer_gets_a_snapshot_of_its_current_version_and_state(
    store: CustomerStore,
) -> None:
    kept = await store.create(customer_body(country="NL"))
    moved = await store.create(customer_body(country="NL"))
    moved = await store.update(moved.customer_id, {"country": "DE"})
    gone = await store.create(customer_body(country="BE"))
    gone = await store.delete(gone.customer_id)
    progress: list[tuple[int, int]] = []

    written = await republish(
        store.database, batch_size=2, on_progress=lambda *p: progress.append(p)
    )

    assert written == 3
    assert progress == [(2, 3), (3, 3)]
    found = await snapshots(store)
    profile = olf_contract.profile_of
    assert {cid: (e.version, e.profile) for cid, e in found.items()} == {
        kept.customer_id: (1, profile("NL", "smb", "active")),
        moved.customer_id: (2, profile("DE", "smb", "active")),
        gone.customer_id: (2, None),
    }
    # Republishing again is harmless: more snapshots of the same versions.
    assert await republish(store.database) == 3


async def test_the_relay_sends_a_snapshot_after_the_customers_pending_changes(
    store: CustomerStore,
) -> None:
    created = await store.create(customer_body())
    await republish(store.database)
    await store.update(created.customer_id, {"status": "suspended"})

    [head] = await OUTBOX.next_batch(store.database, 10)
    assert head.version == 1
    assert b'"customer.created"' in head.payload


async def test_only_live_customers_of_drifting_buckets_and_every_deleted_one_are_republished(
    store: CustomerStore,
) -> None:
    nl = await store.create(customer_body(country="NL"))
    suspended = await store.create(customer_body(country="DE", status="suspended"))
    await store.create(customer_body(country="DE", status="inactive"))  # in no drifting bucket
    deleted = await store.create(customer_body(country="DE"))
    await store.delete(deleted.customer_id)
    drift = [
        Drift("total", "", 4, 3),
        Drift("country", "NL", 1, 0),
        Drift("status", "suspended", 1, 0),
        Drift("status", "active", 1, 2),
    ]

    buckets = drifting_buckets(drift)
    written = await republish(store.database, buckets)

    assert buckets == {"country": {"NL"}, "status": {"suspended", "active"}}
    found = await snapshots(store)
    assert set(found) == {nl.customer_id, suspended.customer_id, deleted.customer_id}
    assert written == 3


def test_drift_in_the_total_alone_republishes_everyone() -> None:
    assert drifting_buckets([Drift("total", "", 2, 1)]) is None
