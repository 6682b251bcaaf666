"""The tables the code queries, as the latest migration leaves them.

``orders_service/migrations.py`` creates and changes the real tables;
``tests/orders_service/test_migrations.py`` checks that a migrated database
matches these definitions. Amounts are stored as their canonical decimal
text (``"12.50"``): exact on SQLite and PostgreSQL alike, and summed in
Python as ``Decimal`` (SQLite's SUM of text would go through a float).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

from infrastructure.database import UtcDateTime
from orders_service.order_event import SNAPSHOT_EVENT

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    # 12 integer digits, a point and 4 fraction digits at most.
    Column("amount", String(17), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    # 1 placed, 2 cancelled: the version of the newest event.
    Column("version", Integer, nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_orders_customer_id", "customer_id"),
)

outbox = Table(
    "outbox",
    metadata,
    # Insertion order; a customer's events get increasing ids in the order written.
    Column(
        "id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("event_id", String(36), nullable=False, unique=True),
    # The message key (orders are co-partitioned with their customers).
    Column("customer_id", String(64), nullable=False),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    # The exact message value the relay publishes, key = customer_id.
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Set once the broker acknowledged the event; NULL means still to publish.
    Column("sent_at", UtcDateTime, nullable=True),
    Column("kafka_partition", Integer, nullable=True),
    Column("kafka_offset", BigInteger, nullable=True),
    # One change event per order and version; snapshots restate one as often as republished.
    Index(
        "uq_outbox_order_change_version",
        "order_id",
        "version",
        unique=True,
        sqlite_where=Column("type") != SNAPSHOT_EVENT,
        postgresql_where=Column("type") != SNAPSHOT_EVENT,
    ),
    Index(
        "ix_outbox_pending",
        "customer_id",
        "id",
        sqlite_where=Column("sent_at").is_(None),
        postgresql_where=Column("sent_at").is_(None),
    ),
)
