"""Numbered schema migrations, recorded in the ``schema_migrations`` table of each database.

Each service lists its own :class:`Migration` steps (``customer_service/migrations.py``,
``orders_service/migrations.py``) and applies them with :func:`migrate`. Each
migration runs once, in order, in its own transaction together with the row
that records it, so a crash leaves either all of it or none (SQLite and
PostgreSQL both have transactional DDL). Two processes migrating at once take
turns, and the second finds the work done: on SQLite the write transaction is
``BEGIN IMMEDIATE``, on PostgreSQL each one first takes an advisory lock
(``lock_key``, one per service).

A migration describes tables as they were at that step (its own
``MetaData``), never the service's current ``schema.py``: that one moves on
with later migrations. To change a schema, append a migration and update
``schema.py``; never edit an applied one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from infrastructure.database import Database, UtcDateTime

_history = MetaData()
schema_migrations = Table(
    "schema_migrations",
    _history,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Migration:
    """Step ``version`` of the schema; ``apply`` runs synchronously inside the transaction."""

    version: int
    name: str
    apply: Callable[[Connection], None]


async def migrate(database: Database, migrations: Sequence[Migration], lock_key: int) -> list[int]:
    """Apply every one of ``migrations`` the database lacks, in order; return the versions applied.

    ``lock_key`` is the PostgreSQL advisory lock the migrators of this
    database take turns on: any constant nothing else in the database uses.
    """
    async with database.write() as connection:
        await _exclude_other_migrators(connection, lock_key)
        await connection.run_sync(_history.create_all, checkfirst=True)
    applied: list[int] = []
    for migration in migrations:
        async with database.write() as connection:
            await _exclude_other_migrators(connection, lock_key)
            done = await connection.scalar(
                select(schema_migrations.c.version).where(
                    schema_migrations.c.version == migration.version
                )
            )
            if done is not None:
                continue
            await connection.run_sync(migration.apply)
            await connection.execute(
                insert(schema_migrations).values(
                    version=migration.version, name=migration.name, applied_at=datetime.now(UTC)
                )
            )
        applied.append(migration.version)
    return applied


async def _exclude_other_migrators(connection: AsyncConnection, lock_key: int) -> None:
    """Until this transaction ends (SQLite's write transactions exclude each other already)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})


async def current_version(database: Database) -> int:
    """The newest applied migration; 0 for a database that was never migrated."""
    async with database.read() as connection:
        has_history = await connection.run_sync(
            lambda sync: sync.dialect.has_table(sync, schema_migrations.name)
        )
        if not has_history:
            return 0
        newest = await connection.scalar(
            select(schema_migrations.c.version)
            .order_by(schema_migrations.c.version.desc())
            .limit(1)
        )
        return int(newest or 0)
