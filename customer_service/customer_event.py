"""The events the service publishes, per the ``customer-events`` contract (docs/event-contract.md).

An event is built inside the transaction that changes the customer and stored
as the exact bytes the relay later publishes, so a re-publish after a crash
sends an identical message (same ``event_id``), which OLF counts as a duplicate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from customer_service.customer import Customer
from infrastructure.timestamps import rfc3339

CREATED: Final = "customer.created"
UPDATED: Final = "customer.updated"
DELETED: Final = "customer.deleted"


@dataclass(frozen=True, slots=True)
class CustomerEvent:
    """One change of one customer, ready for the outbox: key and value are the Kafka message."""

    event_id: str
    type: str
    customer_id: str
    version: int
    occurred_at: datetime
    value: bytes

    @property
    def key(self) -> bytes:
        """The message key: the customer id, so all of a customer's events share a partition."""
        return self.customer_id.encode("utf-8")


def build_event(
    customer: Customer, event_type: str, changed: list[str] | None = None
) -> CustomerEvent:
    """The event announcing ``customer`` as it is after the change.

    ``customer.version`` and ``customer.updated_at`` must already be the new
    ones: they become the event's ``version`` and ``occurred_at``. A deleted
    event carries no customer state; ``changed`` belongs to updates only.
    """
    event_id = str(uuid.uuid4())
    document: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "customer_id": customer.customer_id,
        "version": customer.version,
        "occurred_at": rfc3339(customer.updated_at),
    }
    if event_type != DELETED:
        document["customer"] = customer.attributes()
    if event_type == UPDATED and changed is not None:
        document["changed"] = changed
    return CustomerEvent(
        event_id=event_id,
        type=event_type,
        customer_id=customer.customer_id,
        version=customer.version,
        occurred_at=customer.updated_at,
        value=orjson.dumps(document),
    )
