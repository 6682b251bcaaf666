"""The tables the code queries, as the latest migration leaves them.

``customer_service/migrations.py`` creates and changes the real tables;
``tests/customer_service/test_migrations.py`` checks that a migrated database
matches these definitions.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    false,
)

from customer_service.customer_event import SNAPSHOT
from infrastructure.database import UtcDateTime

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("country", String(2), nullable=False),
    Column("segment", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    # The number of changes so far, deletes included: the version of the newest event.
    Column("version", Integer, nullable=False),
    # Deleted customers stay as rows so their version, and so OLF's, keeps counting.
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_customers_country", "country"),
    Index("ix_customers_segment", "segment"),
    Index("ix_customers_status", "status"),
)

outbox = Table(
    "outbox",
    metadata,
    # Insertion order; a customer's events get increasing ids in version order.
    Column(
        "id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    # The exact message value the relay publishes, key = customer_id.
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Set once the broker acknowledged the event; NULL means still to publish.
    Column("sent_at", UtcDateTime, nullable=True),
    Column("kafka_partition", Integer, nullable=True),
    Column("kafka_offset", BigInteger, nullable=True),
    # One change event per version; snapshots restate a version, as often as republished.
    Index(
        "uq_outbox_change_version",
        "customer_id",
        "version",
        unique=True,
        sqlite_where=Column("type") != SNAPSHOT,
        postgresql_where=Column("type") != SNAPSHOT,
    ),
    Index(
        "ix_outbox_pending",
        "customer_id",
        "id",
        sqlite_where=Column("sent_at").is_(None),
        postgresql_where=Column("sent_at").is_(None),
    ),
)
