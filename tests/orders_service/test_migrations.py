"""The Orders service's migrations leave the schema its code declares, and keep the data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Insert, delete, insert, select
from sqlalchemy.exc import IntegrityError

from infrastructure.database import Database
from orders_service.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    current_version,
    migrate,
    schema_migrations,
)
from orders_service.order_event import CANCELLED_EVENT, PLACED_EVENT, SNAPSHOT_EVENT
from orders_service.schema import metadata, orders, outbox
from tests.customer_service.test_migrations import structure


async def test_the_migrated_schema_is_the_one_the_code_declares(database_url: str) -> None:
    migrated = Database(database_url)
    declared = Database(database_url.replace("orders.db", "declared.db"))
    try:
        assert await migrate(migrated) == list(range(1, LATEST_VERSION + 1))
        assert await migrate(migrated) == []
        assert await current_version(migrated) == LATEST_VERSION
        async with declared.write() as connection:
            await connection.run_sync(metadata.create_all)
        async with migrated.read() as connection:
            from_migrations = await connection.run_sync(structure, metadata)
        async with declared.read() as connection:
            from_schema = await connection.run_sync(structure, metadata)
    finally:
        await migrated.close()
        await declared.close()

    assert from_migrations == from_schema
    assert set(from_schema) == {"orders", "outbox"}
    assert from_schema["outbox"]["indexes"], "the comparison should see the indexes"


async def test_migration_2_keeps_the_outbox_and_lets_only_snapshots_restate_a_version(
    database_url: str,
) -> None:
    database = Database(database_url)
    moment = datetime(2026, 11, 27, tzinfo=UTC)

    def order(order_id: str) -> dict[str, Any]:
        return {
            "order_id": order_id, "customer_id": "cust-1", "amount": "12.50", "currency": "EUR",
            "status": "placed", "version": 1, "placed_at": moment, "updated_at": moment,
        }  # fmt: skip

    def event(event_id: str, event_type: str, version: int, order_id: str = "ord-1") -> Insert:
        return insert(outbox).values(
            event_id=event_id, customer_id="cust-1", order_id=order_id, version=version,
            type=event_type, payload=b"{}", created_at=moment,
        )  # fmt: skip

    try:
        async with database.write() as connection:  # a database of migration 1's time
            await connection.run_sync(schema_migrations.metadata.create_all)
            await connection.run_sync(MIGRATIONS[0].apply)
            await connection.execute(
                insert(schema_migrations).values(version=1, name="first", applied_at=moment)
            )
            await connection.execute(insert(orders), [order("ord-1"), order("ord-2")])
            sent = {"sent_at": moment, "kafka_partition": 3, "kafka_offset": 41}
            await connection.execute(event("e1", PLACED_EVENT, 1).values(**sent))
            await connection.execute(event("e2", PLACED_EVENT, 1, "ord-2").values(**sent))
            await connection.execute(event("e3", CANCELLED_EVENT, 2))
            # Pruned: the ids keep a gap, which a rebuild that renumbered would close.
            await connection.execute(delete(outbox).where(outbox.c.event_id == "e2"))
            before = (await connection.execute(select(outbox).order_by(outbox.c.id))).all()

        assert await migrate(database) == [2]

        async with database.read() as connection:
            kept = (await connection.execute(select(outbox).order_by(outbox.c.id))).all()
        assert kept == before
        assert [(row.id, row.event_id, row.sent_at is None) for row in kept] == [
            (1, "e1", False),
            (3, "e3", True),
        ]
        async with database.write() as connection:
            for event_id in ("s1", "s2"):
                await connection.execute(event(event_id, SNAPSHOT_EVENT, 2))
        async with database.read() as connection:
            ids = (await connection.execute(select(outbox.c.id, outbox.c.event_id))).all()
        assert sorted(ids) == [(1, "e1"), (3, "e3"), (4, "s1"), (5, "s2")]
        with pytest.raises(IntegrityError):
            async with database.write() as connection:
                await connection.execute(event("e4", CANCELLED_EVENT, 2))
    finally:
        await database.close()
