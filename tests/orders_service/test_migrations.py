"""The Orders service's migrations leave the schema its code declares."""

from __future__ import annotations

from infrastructure.database import Database
from orders_service.migrations import LATEST_VERSION, current_version, migrate
from orders_service.schema import metadata
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
