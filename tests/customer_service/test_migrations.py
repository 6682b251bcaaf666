"""Numbered migrations: applied once, in order, and leaving the schema the code expects."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, MetaData, delete, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from customer_service.customer_event import CREATED, SNAPSHOT, UPDATED
from customer_service.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    current_version,
    migrate,
    schema_migrations,
)
from customer_service.schema import customers, metadata, outbox
from infrastructure.database import Database


async def test_a_new_database_gets_every_migration_once(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await current_version(database) == 0
        assert await migrate(database) == list(range(1, LATEST_VERSION + 1))
        assert await migrate(database) == []
        assert await current_version(database) == LATEST_VERSION
    finally:
        await database.close()


async def test_two_processes_migrating_at_once_apply_each_step_once(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        applied = await asyncio.gather(migrate(first), migrate(second))
    finally:
        await first.close()
        await second.close()

    # They take turns step by step, so either may apply any step, but each step
    # exactly once, and each process its steps in order.
    assert sorted(version for versions in applied for version in versions) == list(
        range(1, LATEST_VERSION + 1)
    )
    assert all(versions == sorted(versions) for versions in applied)


def structure(connection: Connection, declared: MetaData = metadata) -> dict[str, Any]:
    """What a database says about the tables ``declared``: columns, keys, indexes, constraints."""
    inspector = inspect(connection)
    where = f"{connection.dialect.name}_where"
    tables = {}
    for table in sorted(declared.tables):
        tables[table] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], column.get("default"))
                for column in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": [
                (key["constrained_columns"], key["referred_table"], key["referred_columns"])
                for key in inspector.get_foreign_keys(table)
            ],
            "indexes": sorted(
                (
                    index["name"],
                    tuple(index["column_names"]),
                    bool(index["unique"]),
                    # A partial index's condition (snapshots may restate a version).
                    str(index.get("dialect_options", {}).get(where)),
                )
                for index in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (str(unique["name"]), tuple(unique["column_names"]))
                for unique in inspector.get_unique_constraints(table)
            ),
        }
    return tables


async def test_the_migrated_schema_is_the_one_the_code_declares(
    database_url: str, second_database_url: str
) -> None:
    migrated = Database(database_url)
    declared = Database(second_database_url)
    try:
        await migrate(migrated)
        async with declared.write() as connection:
            await connection.run_sync(metadata.create_all)
        async with migrated.read() as connection:
            from_migrations = await connection.run_sync(structure)
        async with declared.read() as connection:
            from_schema = await connection.run_sync(structure)
    finally:
        await migrated.close()
        await declared.close()

    assert from_migrations == from_schema
    assert from_migrations["outbox"]["indexes"], "the comparison should see the indexes"


async def test_migration_2_keeps_the_outbox_and_lets_only_snapshots_restate_a_version(
    database_url: str,
) -> None:
    database = Database(database_url)
    moment = datetime(2026, 11, 26, tzinfo=UTC)
    customer = {
        "customer_id": "cust-1", "name": "Ada", "email": "ada@example.com", "country": "NL",
        "segment": "smb", "status": "active", "version": 1, "deleted": False,
        "created_at": moment, "updated_at": moment,
    }  # fmt: skip

    def event(event_id: str, event_type: str, version: int) -> dict[str, Any]:
        return {
            "event_id": event_id, "customer_id": "cust-1", "version": version,
            "type": event_type, "payload": b"{}", "created_at": moment,
        }  # fmt: skip

    try:
        async with database.write() as connection:  # a database of migration 1's time
            await connection.run_sync(schema_migrations.metadata.create_all)
            await connection.run_sync(MIGRATIONS[0].apply)
            await connection.execute(
                insert(schema_migrations).values(version=1, name="first", applied_at=moment)
            )
            await connection.execute(insert(customers).values(**customer))
            # Ids the database assigns (explicit ones would not move PostgreSQL's
            # sequence); the first row pruned, as the relay does, leaves a gap.
            await connection.execute(insert(outbox).values(**event("e1", CREATED, 1)))
            await connection.execute(insert(outbox).values(**event("e2", UPDATED, 2)))
            await connection.execute(delete(outbox).where(outbox.c.event_id == "e1"))

        assert await migrate(database) == [2]

        async with database.write() as connection:
            for event_id in ("s1", "s2"):
                await connection.execute(insert(outbox).values(**event(event_id, SNAPSHOT, 2)))
        async with database.read() as connection:
            rows = (await connection.execute(select(outbox).order_by(outbox.c.id))).all()
        assert [(row.id, row.event_id) for row in rows] == [(2, "e2"), (3, "s1"), (4, "s2")]
        with pytest.raises(IntegrityError):
            async with database.write() as connection:
                await connection.execute(insert(outbox).values(**event("e3", UPDATED, 2)))
    finally:
        await database.close()
