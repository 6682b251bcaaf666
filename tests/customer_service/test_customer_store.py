"""The store: every change is one version and one outbox event, also under concurrent writes."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from customer_service.customer_store import CustomerNotFound, CustomerStore
from customer_service.schema import customers, outbox

NEW = {
    "name": "Ada",
    "email": "ada@example.com",
    "country": "NL",
    "segment": "smb",
    "status": "active",
}


async def outbox_versions(store: CustomerStore, customer_id: str) -> list[int]:
    async with store.database.read() as connection:
        rows = await connection.scalars(
            select(outbox.c.version)
            .where(outbox.c.customer_id == customer_id)
            .order_by(outbox.c.id)
        )
        return list(rows)


async def test_concurrent_changes_of_one_customer_get_consecutive_versions(
    store: CustomerStore,
) -> None:
    created = await store.create(NEW)

    results = await asyncio.gather(
        *(store.update(created.customer_id, {"email": f"a{n}@example.com"}) for n in range(20))
    )

    assert sorted(result.version for result in results) == list(range(2, 22))
    assert await outbox_versions(store, created.customer_id) == list(range(1, 22))
    assert (await store.get(created.customer_id)).version == 21


async def test_a_delete_keeps_the_row_and_its_version_but_erases_the_person(
    store: CustomerStore,
) -> None:
    created = await store.create(NEW)
    await store.update(created.customer_id, {"country": "DE"})

    deleted = await store.delete(created.customer_id)

    assert (deleted.version, deleted.deleted) == (3, True)
    async with store.database.read() as connection:
        row = (await connection.execute(select(customers))).one()
    assert (row.version, row.deleted, row.country) == (3, True, "DE")
    assert (row.name, row.email) == ("", ""), "a deleted customer's person stays on record"
    assert await outbox_versions(store, created.customer_id) == [1, 2, 3]
    with pytest.raises(CustomerNotFound):
        await store.get(created.customer_id)
    with pytest.raises(CustomerNotFound):
        await store.delete(created.customer_id)


async def test_counts_leave_out_deleted_customers(store: CustomerStore) -> None:
    kept = await store.create(NEW)
    await store.create({**NEW, "country": "DE", "segment": "enterprise"})
    gone = await store.create({**NEW, "country": "BE", "status": "inactive"})
    await store.delete(gone.customer_id)
    await store.update(kept.customer_id, {"status": "suspended"})

    counts = await store.counts()

    assert counts.total == 2
    assert counts.by == {
        "country": {"NL": 1, "DE": 1},
        "segment": {"smb": 1, "enterprise": 1},
        "status": {"suspended": 1, "active": 1},
    }
