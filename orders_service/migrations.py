"""The Orders service's schema migrations, applied by :mod:`infrastructure.migrations`.

That module states the rules: each step once, in order, in its own
transaction; a step describes tables as they were then (its own
``MetaData``), never ``orders_service.schema``; an applied step is never edited.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
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
    text,
)

from infrastructure import migrations
from infrastructure.database import Database, UtcDateTime
from infrastructure.migrations import Migration

# Re-exported: the service's callers ask it from here, beside migrate.
from infrastructure.migrations import current_version as current_version
from infrastructure.migrations import schema_migrations as schema_migrations


def _create_orders_and_outbox(connection: Connection) -> None:
    step = MetaData()
    Table(
        "orders",
        step,
        Column("order_id", String(64), primary_key=True),
        Column("customer_id", String(64), nullable=False),
        Column("amount", String(17), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("status", String(16), nullable=False),
        Column("version", Integer, nullable=False),
        Column("placed_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        Index("ix_orders_customer_id", "customer_id"),
    )
    Table(
        "outbox",
        step,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("customer_id", String(64), nullable=False),
        Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False),
        Column("version", Integer, nullable=False),
        Column("type", String(32), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime, nullable=True),
        Column("kafka_partition", Integer, nullable=True),
        Column("kafka_offset", BigInteger, nullable=True),
        UniqueConstraint("order_id", "version", name="uq_outbox_order_version"),
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
    """Keep "one change event per order and version", but let snapshots restate a version.

    The unique constraint on (order_id, version) becomes a unique index over
    change events only. SQLite cannot drop a constraint declared with its
    table, so there the table is rebuilt, keeping every row and id (the
    relay's order); PostgreSQL drops the constraint in place.
    """
    snapshot = "order.snapshot"
    step = MetaData()
    # Only for the foreign key's sake: the table exists and stays as it is.
    Table("orders", step, Column("order_id", String(64), primary_key=True))
    table = Table(
        "outbox",
        step,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("customer_id", String(64), nullable=False),
        Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False),
        Column("version", Integer, nullable=False),
        Column("type", String(32), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime, nullable=True),
        Column("kafka_partition", Integer, nullable=True),
        Column("kafka_offset", BigInteger, nullable=True),
        Index(
            "uq_outbox_order_change_version",
            "order_id",
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
        connection.execute(text("ALTER TABLE outbox DROP CONSTRAINT uq_outbox_order_version"))
        for index in table.indexes:
            if index.name == "uq_outbox_order_change_version":
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
    Migration(1, "orders and outbox", _create_orders_and_outbox),
    Migration(2, "snapshots in the outbox", _allow_snapshots_in_the_outbox),
)

# Any constant will do, as long as nothing else in the database uses it (and
# not the Customer service's, should both ever share a PostgreSQL database).
_POSTGRESQL_LOCK_KEY: Final = 0x0BDE_5E5E


async def migrate(database: Database) -> list[int]:
    """Apply every migration the database lacks, in order; return the versions applied."""
    return await migrations.migrate(database, MIGRATIONS, _POSTGRESQL_LOCK_KEY)


#: The version a database must have for this code to use it.
LATEST_VERSION: Final = MIGRATIONS[-1].version
