"""Republishing: a snapshot of each customer's current state, through the outbox.

``customer-events`` keeps events for its retention only (Kafka's default: 7
days), so a new OLF deployment, an OLF started with a new app id, or one
that lost its changelog cannot rebuild the counts of customers that last
changed before that from the topic alone. Republishing writes one
``customer.snapshot`` per customer (docs/event-contract.md): its current
version and state, or ``"deleted": true`` for a deleted one (their rows stay,
so their version is known). OLF applies a snapshot by the version rule like a
change, moves its counts, and counts it in no time series, so it converges to
the database's numbers without inventing signups, updates or deletions.

Customers are taken in id order, ``batch_size`` at a time, each batch in one
write transaction that reads the rows and appends their snapshots, so the
outbox is never without the snapshots of a batch it read. Changes made
meanwhile are harmless whatever the order: a snapshot never carries a version
the outbox does not already hold as a change event, so at worst it reaches
OLF after a newer change and is a duplicate there.

Snapshots are sent rows like any other: the relay publishes them, in order per
customer, and prunes them after ``outbox_retention``. A snapshot can repair a
customer whose newest events OLF never applied; it cannot correct a state
OLF holds at the same version (that is a duplicate): for that, start OLF with
a new app id and republish.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, or_, true

from customer_service.customer import Customer
from customer_service.customer_event import build_snapshot
from customer_service.outbox import outbox_row
from customer_service.schema import customers, outbox
from infrastructure.database import Database
from infrastructure.republish import DEFAULT_BATCH_SIZE, Progress, republish_rows

#: Live customers to republish: those with any of these values of a dimension
#: (``{"country": {"NL"}, "status": {"suspended"}}``).
Buckets = Mapping[str, Set[str]]


async def republish(
    database: Database,
    buckets: Buckets | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
) -> int:
    """Append a snapshot of each selected customer to the outbox; return how many.

    ``buckets`` None selects every customer, live or deleted. Otherwise the
    live customers in those buckets and every deleted one: OLF may still
    count a deleted customer under any state it had before, and the
    database keeps only the last one. ``on_progress`` is called after each
    batch with (customers republished so far, customers selected).
    """
    return await republish_rows(
        database,
        customers,
        "customer_id",
        outbox,
        _snapshot_row,
        selected=_selection(buckets),
        batch_size=batch_size,
        on_progress=on_progress,
    )


def _snapshot_row(row: Row[Any], taken_at: datetime) -> dict[str, object]:
    return outbox_row(build_snapshot(Customer(**row._mapping), taken_at))


def _selection(buckets: Buckets | None) -> ColumnElement[bool]:
    if buckets is None:
        return true()
    unknown = set(buckets) - {"country", "segment", "status"}
    if unknown:
        raise ValueError(f"not a dimension: {', '.join(sorted(unknown))}")
    return or_(
        customers.c.deleted == true(),
        *(customers.c[dimension].in_(sorted(values)) for dimension, values in buckets.items()),
    )
