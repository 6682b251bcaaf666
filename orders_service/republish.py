"""Republishing: a snapshot of each order's current state, through the outbox.

``order-events`` keeps events for its retention only (Kafka's default: 7
days), so a new OLF deployment, an OLF started with a new app id, or one
that lost its changelog cannot rebuild the totals of orders placed or
cancelled before that from the topic alone. Republishing writes one
``order.snapshot`` per order (docs/event-contract.md, "Order snapshots"):
its current version, amount, currency and ``status``. OLF applies a snapshot
by the version rule like a change and moves the totals from the state it
held to the snapshot's: a cancelled order's snapshot counts it once among
placed orders and not in the revenue, as its two events would. It counts in
no time series, so OLF converges to the database's totals without inventing
placements or cancellations.

Orders are taken in id order, ``batch_size`` at a time, each batch in one
write transaction that reads the rows and appends their snapshots
(:mod:`infrastructure.republish`), so the outbox is never without the
snapshots of a batch it read. Orders placed or cancelled meanwhile are
harmless whatever the order: an order's row and its change event are
committed together, so a snapshot never carries a version the outbox does
not already hold as a change event. On PostgreSQL a cancellation may commit
between a batch's read and its commit; its ``order.cancelled`` (version 2)
and the snapshot of version 1 then reach OLF in either order, and OLF ends
at version 2, cancelled, either way (the older one is a duplicate there).

Snapshots are sent rows like any other: the relay publishes them, in order
per customer (their key), and prunes them after ``outbox_retention``. Orders
count under their customer's country and segment, or ``unknown`` until OLF
has the customer: republish the Customer service's customers too (either
first). A snapshot can repair an order whose newest events OLF never
applied; it cannot correct a state OLF holds at the same version (that is a
duplicate): for that, start OLF with a new app id and republish both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from infrastructure.database import Database
from infrastructure.republish import DEFAULT_BATCH_SIZE, Progress, republish_rows
from orders_service.order_event import build_snapshot
from orders_service.order_store import order_from_row
from orders_service.outbox import outbox_row
from orders_service.schema import orders, outbox


async def republish(
    database: Database,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
) -> int:
    """Append a snapshot of every order, placed or cancelled, to the outbox; return how many.

    ``on_progress`` is called after each batch with (orders republished so
    far, orders in the database).

    Raises:
        ValueError: ``batch_size`` < 1.
    """
    return await republish_rows(
        database,
        orders,
        "order_id",
        outbox,
        _snapshot_row,
        batch_size=batch_size,
        on_progress=on_progress,
    )


def _snapshot_row(row: Row[Any], taken_at: datetime) -> dict[str, object]:
    return outbox_row(build_snapshot(order_from_row(row), taken_at))
