"""The events the service publishes, per the ``customer-events`` contract (docs/event-contract.md).

An event is built inside the transaction that changes the customer and stored
as the exact bytes the relay later publishes, so a re-publish after a crash
sends an identical message (same ``event_id``), which OLF counts as a duplicate.

A snapshot (:func:`build_snapshot`) announces no change: it restates a
customer's current version and state, so that a consumer that never saw (or
lost) the events behind it can rebuild its counts (``customer_service.republish``).
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
SNAPSHOT: Final = "customer.snapshot"


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
    extra: dict[str, Any] = {}
    if event_type != DELETED:
        extra["customer"] = customer.attributes()
    if event_type == UPDATED and changed is not None:
        extra["changed"] = changed
    return _event(customer, event_type, customer.updated_at, extra)


def build_snapshot(customer: Customer, taken_at: datetime) -> CustomerEvent:
    """The snapshot of ``customer`` as read at ``taken_at``: its version and state.

    A deleted customer's snapshot says ``"deleted": true`` and carries no
    state. ``occurred_at`` is ``taken_at``: when the snapshot was taken, not
    when the customer last changed, since a snapshot is no change (OLF counts
    it in no time series).
    """
    extra: dict[str, Any] = {"deleted": customer.deleted}
    if not customer.deleted:
        extra["customer"] = customer.attributes()
    return _event(customer, SNAPSHOT, taken_at, extra)


def _event(
    customer: Customer, event_type: str, occurred_at: datetime, extra: dict[str, Any]
) -> CustomerEvent:
    event_id = str(uuid.uuid4())
    document: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "customer_id": customer.customer_id,
        "version": customer.version,
        "occurred_at": rfc3339(occurred_at),
        **extra,
    }
    return CustomerEvent(
        event_id=event_id,
        type=event_type,
        customer_id=customer.customer_id,
        version=customer.version,
        occurred_at=occurred_at,
        value=orjson.dumps(document),
    )
