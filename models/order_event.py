"""The ``order-events`` wire contract: plain UTF-8 JSON, keyed by ``customer_id``.

Keyed by the customer, so an order lives in the same partition number as its
customer's events and one worker holds both (the join needs no other worker).
Every event carries the order's whole state (amount and currency too), so
gaps are fine, as for customers. Amounts are decimal strings, never JSON
numbers: a float on the way would already have lost exactness.

``order.snapshot`` restates an order's current state (``status`` ``placed``
or ``cancelled``) rather than announcing a change: the Orders service
republishes its orders as snapshots so that OLF can rebuild totals whose
events the topic's retention has deleted.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from models import event_fields
from models.event_fields import InvalidEvent, check_key, json_object, parse_time, required_string
from models.money import CURRENCY_CODES, InvalidAmount, parse_amount

PLACED: Final = "order.placed"
CANCELLED: Final = "order.cancelled"
SNAPSHOT: Final = "order.snapshot"
ORDER_EVENT_TYPES: Final = (PLACED, CANCELLED, SNAPSHOT)
#: A snapshot's ``status``: whether the order stands or was cancelled.
ORDER_STATUSES: Final = ("placed", "cancelled")
MAX_ID_LENGTH: Final = 64


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One validated change, or snapshot, of one order; ``amount`` in :mod:`models.money` units."""

    event_id: str
    type: str
    order_id: str
    customer_id: str
    version: int
    occurred_at: datetime
    amount: int
    currency: str
    #: Whether the order is cancelled after this event.
    cancelled: bool


def parse_order_event(key: bytes | None, value: bytes | None) -> OrderEvent:
    """Validate one Kafka message against the contract.

    Raises:
        InvalidEvent: with a human-readable reason naming the offending field.
    """
    document = json_object(value)

    event_id = required_string(document, "event_id")
    event_type = required_string(document, "type")
    if event_type not in ORDER_EVENT_TYPES:
        raise InvalidEvent(f"type must be one of {', '.join(ORDER_EVENT_TYPES)}")
    order_id = required_string(document, "order_id")
    customer_id = required_string(document, "customer_id")
    for name, text in (("order_id", order_id), ("customer_id", customer_id)):
        if len(text) > MAX_ID_LENGTH:
            raise InvalidEvent(f"{name} must be 1-{MAX_ID_LENGTH} characters")
    check_key(key, customer_id)
    version = event_fields.version(document)
    occurred_at = parse_time(document.get("occurred_at"))
    amount = document.get("amount")
    if not isinstance(amount, str):
        raise InvalidEvent('amount must be a decimal string, like "12.50" (not a JSON number)')
    try:
        units = parse_amount(amount)
    except InvalidAmount as exc:
        raise InvalidEvent(f"amount {exc}") from None
    currency = document.get("currency")
    if not isinstance(currency, str) or currency not in CURRENCY_CODES:
        raise InvalidEvent("currency must be an ISO 4217 alphabetic code, like EUR")
    cancelled = _parse_status(event_type, document.get("status"))
    return OrderEvent(
        event_id,
        event_type,
        order_id,
        customer_id,
        version,
        occurred_at,
        units,
        sys.intern(currency),
        cancelled,
    )


def _parse_status(event_type: str, raw: object) -> bool:
    """Whether the order is cancelled: a snapshot says so in ``status``, a change by its type."""
    if event_type != SNAPSHOT:
        if raw is not None:
            raise InvalidEvent("status is only allowed on order.snapshot")
        return event_type == CANCELLED
    if raw not in ORDER_STATUSES:
        raise InvalidEvent("status must be placed or cancelled on order.snapshot")
    return raw == "cancelled"
