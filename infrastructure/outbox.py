"""A transactional outbox table as the relay sees it: what to publish next, and what was acked.

A service writes an outbox row in the same transaction as the change it
announces, so both are stored or neither is; :mod:`infrastructure.outbox_relay`
publishes the rows afterwards. An :class:`Outbox` wraps one such table. The
table must have these columns (``customer_service/schema.py`` and
``orders_service/schema.py`` declare theirs; each service's migrations create it):

| column | meaning |
|---|---|
| ``id`` | autoincrement primary key: insertion order, the order of publication |
| ``event_id`` | the event's id, unique |
| *key column* | the message key as text (both services: ``customer_id``) |
| ``version``, ``type`` | the event's version and type, for the record |
| ``payload`` | the exact message value the relay publishes |
| ``created_at`` | when the row was written |
| ``sent_at``, ``kafka_partition``, ``kafka_offset`` | NULL until the broker acknowledged it |

A row is pending until :meth:`Outbox.mark_sent` records the broker's
acknowledgement; sent rows stay as a record of what was published where
until :meth:`Outbox.prune_sent` deletes them.

Ordering: the relay gets only the oldest pending row of each key
(:meth:`Outbox.next_batch`), so a key's next event is handed out only after the
previous one was acknowledged and marked: a send that fails is never overtaken
by a later event of the same key, which lands on the same partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, bindparam, delete, func, select, update

from infrastructure.database import Database


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One pending event: the message to publish, and the row to mark once acknowledged."""

    id: int
    #: The message key as text; ``key`` is its UTF-8 bytes.
    key_text: str
    version: int
    payload: bytes

    @property
    def key(self) -> bytes:
        return self.key_text.encode("utf-8")


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


class Outbox:
    """The relay's operations on one outbox ``table``, keyed by its ``key_column``."""

    def __init__(self, table: Table, key_column: str) -> None:
        self.table = table
        self._key = table.c[key_column]

    async def next_batch(self, database: Database, limit: int) -> list[OutboxEntry]:
        """The oldest pending event of each key, oldest first, ``limit`` at most."""
        table = self.table
        heads = (
            select(func.min(table.c.id).label("id"))
            .where(table.c.sent_at.is_(None))
            .group_by(self._key)
            .subquery()
        )
        query = (
            select(table.c.id, self._key.label("key_text"), table.c.version, table.c.payload)
            .join(heads, table.c.id == heads.c.id)
            .order_by(table.c.id)
            .limit(limit)
        )
        async with database.read() as connection:
            rows = (await connection.execute(query)).all()
        return [
            OutboxEntry(id=row.id, key_text=row.key_text, version=row.version, payload=row.payload)
            for row in rows
        ]

    async def mark_sent(self, database: Database, acknowledged: Sequence[Acknowledged]) -> None:
        """Record that the broker stored these entries; they are never handed out again."""
        if not acknowledged:
            return
        now = datetime.now(UTC)
        statement = (
            update(self.table)
            .where(self.table.c.id == bindparam("entry_id"))
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

    async def status(self, database: Database) -> OutboxStatus:
        """How far the relay is behind, from one snapshot."""
        pending = self.table.c.sent_at.is_(None)
        async with database.read() as connection:
            row = (
                await connection.execute(
                    select(
                        func.count().filter(pending),
                        func.min(self.table.c.created_at).filter(pending),
                        func.count(),
                    ).select_from(self.table)
                )
            ).one()
        return OutboxStatus(pending=int(row[0]), oldest_pending_at=row[1], events=int(row[2]))

    async def prune_sent(self, database: Database, sent_before: datetime) -> int:
        """Delete the events acknowledged before ``sent_before``; return how many.

        Pending events are never deleted, whatever their age.
        """
        async with database.write() as connection:
            result = await connection.execute(
                delete(self.table).where(self.table.c.sent_at < sent_before)
            )
        return int(result.rowcount)
