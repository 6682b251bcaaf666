"""The Customer service's outbox: its table, keyed by ``customer_id``, and the rows it holds.

Rows are written by ``customer_service.customer_store`` in the transaction of
the change itself, and by ``customer_service.republish`` (snapshots). The
relay (:mod:`infrastructure.outbox_relay`) publishes them through
:data:`OUTBOX`; :mod:`infrastructure.outbox` states the rules (pending until
acknowledged, one event per customer in flight, pruning).
"""

from __future__ import annotations

from typing import Final

from customer_service.customer_event import CustomerEvent
from customer_service.schema import outbox
from infrastructure.outbox import Outbox

#: The relay's view of ``customer_service.schema.outbox``; key = customer id.
OUTBOX: Final = Outbox(outbox, key_column="customer_id")


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
