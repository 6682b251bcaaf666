"""The outbox table as the relay sees it: what to publish next, and what was acknowledged.

Rows are written by ``customer_service.customer_store`` in the transaction of
the change itself, and by ``customer_service.republish`` (snapshots). A row
is pending until :func:`mark_sent` records the broker's acknowledgement; sent
rows stay as a record of what was published where (partition and offset)
until :func:`prune_sent` deletes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, func, select, update

from customer_service.customer_event import CustomerEvent
from customer_service.database import Database
from customer_service.schema import outbox


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One pending event: the message to publish, and the row to mark once acknowledged."""

    id: int
    customer_id: str
    version: int
    payload: bytes

    @property
    def key(self) -> bytes:
        return self.customer_id.encode("utf-8")


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """Where the broker stored one outbox entry."""

    entry_id: int
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """Pending events, the oldest one's age, and how many events the outbox holds."""

    pending: int
    oldest_pending_at: datetime | None
    events: int


def outbox_row(event: CustomerEvent) -> dict[str, object]:
    """The pending outbox row that publishes ``event``."""
    return {
        "event_id": event.event_id,
        "customer_id": event.customer_id,
        "version": event.version,
        "type": event.type,
        "payload": event.value,
        "created_at": event.occurred_at,
    }


async def next_batch(database: Database, limit: int) -> list[OutboxEntry]:
    """The oldest pending event of each customer, oldest first, ``limit`` at most.

    Only one event per customer: its next one is handed out only after this
    one was acknowledged and marked sent, so a send that fails can never be
    overtaken by a later version of the same customer on the topic.
    """
    heads = (
        select(func.min(outbox.c.id).label("id"))
        .where(outbox.c.sent_at.is_(None))
        .group_by(outbox.c.customer_id)
        .subquery()
    )
    query = (
        select(outbox.c.id, outbox.c.customer_id, outbox.c.version, outbox.c.payload)
        .join(heads, outbox.c.id == heads.c.id)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    async with database.read() as connection:
        rows = (await connection.execute(query)).all()
    return [
        OutboxEntry(
            id=row.id, customer_id=row.customer_id, version=row.version, payload=row.payload
        )
        for row in rows
    ]


async def mark_sent(database: Database, acknowledged: Sequence[Acknowledged]) -> None:
    """Record that the broker stored these entries; they are never handed out again."""
    if not acknowledged:
        return
    now = datetime.now(UTC)
    statement = (
        update(outbox)
        .where(outbox.c.id == bindparam("entry_id"))
        .values(
            sent_at=bindparam("at"),
            kafka_partition=bindparam("partition"),
            kafka_offset=bindparam("offset"),
        )
    )
    async with database.write() as connection:
        await connection.execute(
            statement,
            [
                {
                    "entry_id": ack.entry_id,
                    "at": now,
                    "partition": ack.partition,
                    "offset": ack.offset,
                }
                for ack in acknowledged
            ],
        )


async def outbox_status(database: Database) -> OutboxStatus:
    """How far the relay is behind, from one snapshot."""
    pending = outbox.c.sent_at.is_(None)
    async with database.read() as connection:
        row = (
            await connection.execute(
                select(
                    func.count().filter(pending),
                    func.min(outbox.c.created_at).filter(pending),
                    func.count(),
                )
            )
        ).one()
    return OutboxStatus(pending=int(row[0]), oldest_pending_at=row[1], events=int(row[2]))


async def prune_sent(database: Database, sent_before: datetime) -> int:
    """Delete the events acknowledged before ``sent_before``; return how many.

    Pending events are never deleted, whatever their age.
    """
    async with database.write() as connection:
        result = await connection.execute(delete(outbox).where(outbox.c.sent_at < sent_before))
    return int(result.rowcount)
