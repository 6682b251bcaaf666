"""The Orders service's outbox: its table, keyed by ``customer_id``, and the rows it holds.

Rows are written by ``orders_service.order_store`` in the transaction of the
order's change, and by ``orders_service.republish`` (snapshots). The relay
(:mod:`infrastructure.outbox_relay`) publishes them through :data:`OUTBOX`,
one event per customer in flight, so an order's ``order.cancelled`` never
overtakes its ``order.placed``; :mod:`infrastructure.outbox` states the rest
of the rules.
"""

from __future__ import annotations

from typing import Final

from infrastructure.outbox import Outbox
from orders_service.order_event import OrderEvent
from orders_service.schema import outbox

#: The relay's view of ``orders_service.schema.outbox``; key = customer id.
OUTBOX: Final = Outbox(outbox, key_column="customer_id")


def outbox_row(event: OrderEvent) -> dict[str, object]:
    """The pending outbox row that publishes ``event``."""
    return {
        "event_id": event.event_id,
        "customer_id": event.customer_id,
        "order_id": event.order_id,
        "version": event.version,
        "type": event.type,
        "payload": event.value,
        "created_at": event.occurred_at,
    }
