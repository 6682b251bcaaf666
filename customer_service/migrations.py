"""Numbered schema migrations, recorded in the ``schema_migrations`` table.

Each migration runs once, in order, in its own transaction together with the
row that records it, so a crash leaves either all of it or none (SQLite and
PostgreSQL both have transactional DDL). Two processes migrating at once take
turns, and the second finds the work done: on SQLite the write transaction is
``BEGIN IMMEDIATE``, on PostgreSQL each one first takes an advisory lock.

A migration describes tables as they were at that step (its own
``MetaData``), never the current ``customer_service.schema``: that one moves
on with later migrations. To change the schema, append a migration and update
``schema.py``; never edit an applied one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from customer_service.database import Database, UtcDateTime

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


def _create_customers_and_outbox(connection: Connection) -> None:
    step = MetaData()
    Table(
        "customers",
        step,
        Column("customer_id", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("email", String(254), nullable=False),
        Column("country", String(2), nullable=False),
        Column("segment", String(16), nullable=False),
        Column("status", String(16), nullable=False),
        Column("version", Integer, nullable=False),
        Column("deleted", Boolean, nullable=False, server_default=false()),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        Index("ix_customers_country", "country"),
        Index("ix_customers_segment", "segment"),
        Index("ix_customers_status", "status"),
    )
    Table(
        "outbox",
        step,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
        Column("version", Integer, nullable=False),
        Column("type", String(32), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime, nullable=True),
        Column("kafka_partition", Integer, nullable=True),
        Column("kafka_offset", BigInteger, nullable=True),
        UniqueConstraint("customer_id", "version", name="uq_outbox_customer_version"),
        Index(
            "ix_outbox_pending",
            "customer_id",
            "id",
            sqlite_where=Column("sent_at").is_(None),
            postgresql_where=Column("sent_at").is_(None),
        ),
    )
    step.create_all(connection, checkfirst=False)


def _allow_snapshots_in_the_outbox(connection: Connection) -> None:
    """Keep "one change event per version", but let snapshots restate a version.

    The unique constraint on (customer_id, version) becomes a unique index
    over change events only. SQLite cannot drop a constraint declared with
    its table, so there the table is rebuilt, keeping every row and id (the
    relay's order); PostgreSQL drops the constraint in place.
    """
    snapshot = "customer.snapshot"
    step = MetaData()
    # Only for the foreign key's sake: the table exists and stays as it is.
    Table("customers", step, Column("customer_id", String(64), primary_key=True))
    table = Table(
        "outbox",
        step,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
        Column("version", Integer, nullable=False),
        Column("type", String(32), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime, nullable=True),
        Column("kafka_partition", Integer, nullable=True),
        Column("kafka_offset", BigInteger, nullable=True),
        Index(
            "uq_outbox_change_version",
            "customer_id",
            "version",
            unique=True,
            sqlite_where=Column("type") != snapshot,
            postgresql_where=Column("type") != snapshot,
        ),
        Index(
            "ix_outbox_pending",
            "customer_id",
            "id",
            sqlite_where=Column("sent_at").is_(None),
            postgresql_where=Column("sent_at").is_(None),
        ),
    )
    if connection.dialect.name != "sqlite":
        connection.execute(text("ALTER TABLE outbox DROP CONSTRAINT uq_outbox_customer_version"))
        for index in table.indexes:
            if index.name == "uq_outbox_change_version":
                index.create(connection)
        return
    columns = ", ".join(column.name for column in table.columns)
    # Index names are per database in SQLite: free the old one's before the rebuild.
    connection.execute(text("DROP INDEX ix_outbox_pending"))
    connection.execute(text("ALTER TABLE outbox RENAME TO outbox_before_2"))
    table.create(connection, checkfirst=False)
    connection.execute(
        text(f"INSERT INTO outbox ({columns}) SELECT {columns} FROM outbox_before_2")
    )
    connection.execute(text("DROP TABLE outbox_before_2"))


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "customers and outbox", _create_customers_and_outbox),
    Migration(2, "snapshots in the outbox", _allow_snapshots_in_the_outbox),
)


# Any constant will do, as long as nothing else in the database uses it.
_POSTGRESQL_LOCK_KEY: Final = 0x0C05_7E5E


async def migrate(database: Database) -> list[int]:
    """Apply every migration the database lacks, in order; return the versions applied."""
    async with database.write() as connection:
        await _exclude_other_migrators(connection)
        await connection.run_sync(_history.create_all, checkfirst=True)
    applied: list[int] = []
    for migration in MIGRATIONS:
        async with database.write() as connection:
            await _exclude_other_migrators(connection)
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


async def _exclude_other_migrators(connection: AsyncConnection) -> None:
    """Until this transaction ends (SQLite's write transactions exclude each other already)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRESQL_LOCK_KEY}
        )


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


#: The version a database must have for this code to use it.
LATEST_VERSION: Final = MIGRATIONS[-1].version
