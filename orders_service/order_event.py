"""The events the service publishes, per the ``order-events`` contract (docs/event-contract.md).

Topic ``order-events``, key = the customer id (UTF-8), so an order's events
share a partition with its customer's on ``customer-events`` (both topics have
the same partition count and the default partitioner). Value: plain UTF-8 JSON

``{"event_id", "type": "order.placed" | "order.cancelled", "order_id",
"customer_id", "version": 1 | 2, "occurred_at", "amount": "12.50", "currency": "EUR"}``

Both types carry the order's full state. ``amount`` is a decimal *string*
(never a JSON number, so no reader takes it through a float). An event is
built inside the transaction that changes the order and stored as the exact
bytes the relay publishes, so a re-publish after a crash is byte-identical
(same ``event_id``): a duplicate for OLF.

A snapshot (:func:`build_snapshot`, type ``order.snapshot``) announces no
change: it restates an order's current version and state, with its
``status`` (``placed`` or ``cancelled``), so that a consumer that never saw
(or lost) the events behind it can rebuild its totals (``orders_service.republish``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from infrastructure.timestamps import rfc3339
from orders_service.order import CANCELLED, Order, amount_text

PLACED_EVENT: Final = "order.placed"
CANCELLED_EVENT: Final = "order.cancelled"
SNAPSHOT_EVENT: Final = "order.snapshot"


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One change (or snapshot) of one order for the outbox: key and value are the Kafka message."""

    event_id: str
    type: str
    order_id: str
    customer_id: str
    version: int
    occurred_at: datetime
    value: bytes

    @property
    def key(self) -> bytes:
        """The message key: the customer id, co-partitioning orders with customers."""
        return self.customer_id.encode("utf-8")


def build_event(order: Order) -> OrderEvent:
    """The event announcing ``order`` as it is after the change.

    Its type follows the order's status; ``order.version`` and
    ``order.updated_at`` become the event's ``version`` and ``occurred_at``.
    """
    event_type = CANCELLED_EVENT if order.status == CANCELLED else PLACED_EVENT
    return _event(order, event_type, order.updated_at, {})


def build_snapshot(order: Order, taken_at: datetime) -> OrderEvent:
    """The snapshot of ``order`` as read at ``taken_at``: its version, state and ``status``.

    ``occurred_at`` is ``taken_at``: when the snapshot was taken, not when the
    order last changed, since a snapshot is no change (OLF counts it in no
    time series).
    """
    return _event(order, SNAPSHOT_EVENT, taken_at, {"status": order.status})


def _event(
    order: Order, event_type: str, occurred_at: datetime, extra: dict[str, Any]
) -> OrderEvent:
    event_id = str(uuid.uuid4())
    document: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "version": order.version,
        "occurred_at": rfc3339(occurred_at),
        "amount": amount_text(order.amount),
        "currency": order.currency,
        **extra,
    }
    return OrderEvent(
        event_id=event_id,
        type=event_type,
        order_id=order.order_id,
        customer_id=order.customer_id,
        version=order.version,
        occurred_at=occurred_at,
        value=orjson.dumps(document),
    )
