"""The ``order-events`` contract as OLF reads it: valid events, and each rejection's reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from models.event_fields import InvalidEvent
from models.order_event import CANCELLED, PLACED, SNAPSHOT, parse_order_event


def document(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": "e1",
        "type": PLACED,
        "order_id": "o1",
        "customer_id": "c1",
        "version": 1,
        "occurred_at": "2026-11-26T10:15:00Z",
        "amount": "12.50",
        "currency": "EUR",
        "note": "unknown fields are ignored",
    }
    body.update(changes)
    return body


def test_a_valid_event_is_read_with_its_amount_in_units() -> None:
    event = parse_order_event(b"c1", orjson.dumps(document(type=CANCELLED, version=2)))
    assert (event.order_id, event.customer_id, event.version) == ("o1", "c1", 2)
    assert event.cancelled
    assert (event.amount, event.currency) == (125_000, "EUR")
    assert event.occurred_at == datetime(2026, 11, 26, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize(("status", "cancelled"), [("placed", False), ("cancelled", True)])
def test_a_snapshot_says_in_its_status_whether_the_order_is_cancelled(
    status: str, cancelled: bool
) -> None:
    event = parse_order_event(b"c1", orjson.dumps(document(type=SNAPSHOT, status=status)))
    assert (event.type, event.cancelled) == (SNAPSHOT, cancelled)


@pytest.mark.parametrize(
    ("key", "body", "reason"),
    [
        (b"c1", b"[1]", "value must be a JSON object, got list"),
        (b"c1", document(type="order.shipped"), "type must be one of order.placed"),
        (b"c1", document(order_id=""), "order_id must not be empty"),
        (b"c1", document(order_id="o" * 65), "order_id must be 1-64 characters"),
        (b"c2", document(), "message key differs from customer_id"),
        (b"c1", document(version=0), "version must be >= 1"),
        (b"c1", document(amount=12.5), "amount must be a decimal string, like"),
        (b"c1", document(amount="1.00001"), "amount must be a decimal string of 1-12 digits"),
        (b"c1", document(amount="0"), "amount must be above 0"),
        (b"c1", document(currency="XXY"), "currency must be an ISO 4217 alphabetic code, like EUR"),
        (b"c1", document(currency="eur"), "currency must be an ISO 4217 alphabetic code, like EUR"),
        (b"c1", document(occurred_at="2026-11-26"), "occurred_at needs a date, a time and Z"),
        (b"c1", document(status="placed"), "status is only allowed on order.snapshot"),
        (b"c1", document(type=SNAPSHOT), "status must be placed or cancelled on order.snapshot"),
        (b"c1", document(type=SNAPSHOT, status="open"), "status must be placed or cancelled"),
    ],
)  # fmt: skip
def test_a_message_that_breaks_the_contract_is_refused_with_its_reason(
    key: bytes, body: Any, reason: str
) -> None:
    value = body if isinstance(body, bytes) else orjson.dumps(body)
    with pytest.raises(InvalidEvent) as refused:
        parse_order_event(key, value)
    assert refused.value.reason.startswith(reason)
