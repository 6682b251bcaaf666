"""The ``order-events`` contract: each event the service writes, checked field by field."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import orjson
from sqlalchemy import select

from models.money import parse_amount
from models.order_event import parse_order_event
from orders_service.order import NewOrder
from orders_service.order_event import SNAPSHOT_EVENT, build_snapshot
from orders_service.order_store import OrderStore
from orders_service.outbox import OUTBOX
from orders_service.schema import outbox

CONTRACT_FIELDS = {
    "event_id", "type", "order_id", "customer_id", "version", "occurred_at", "amount", "currency",
}  # fmt: skip
AMOUNT_TEXT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,4})?")


def check_contract(key: bytes, value: bytes) -> dict[str, object]:
    """Fail unless ``key`` and ``value`` are an order event exactly as documented."""
    event = orjson.loads(value)
    assert event["type"] in ("order.placed", "order.cancelled", "order.snapshot")
    # A change says the order's status by its type, a snapshot in "status".
    if event["type"] == "order.snapshot":
        assert set(event) == CONTRACT_FIELDS | {"status"}
        status = event["status"]
    else:
        assert set(event) == CONTRACT_FIELDS
        status = "cancelled" if event["type"] == "order.cancelled" else "placed"
    assert uuid.UUID(event["event_id"]).version == 4
    assert 1 <= len(event["order_id"]) <= 64
    assert 1 <= len(event["customer_id"]) <= 64
    assert key == event["customer_id"].encode("utf-8")
    assert event["version"] == (1 if status == "placed" else 2)
    assert datetime.fromisoformat(event["occurred_at"]).utcoffset() is not None
    assert isinstance(event["amount"], str)
    assert AMOUNT_TEXT.fullmatch(event["amount"])
    assert Decimal(event["amount"]) > 0
    assert re.fullmatch("[A-Z]{3}", event["currency"])
    # And what OLF reads of it: its own parser accepts it, with the same facts.
    parsed = parse_order_event(key, value)
    assert (parsed.order_id, parsed.version, parsed.currency) == (
        event["order_id"],
        event["version"],
        event["currency"],
    )
    assert parsed.amount == parse_amount(event["amount"])
    assert parsed.type == event["type"]
    assert parsed.cancelled == (status == "cancelled")
    return dict(event)


async def test_placed_and_cancelled_events_carry_the_full_state(store: OrderStore) -> None:
    placed = await store.place(NewOrder("cust-1", Decimal("0.0001"), "JPY"))
    cancelled = await store.cancel(placed.order_id)

    entries = await OUTBOX.next_batch(store.database, 10)
    async with store.database.read() as connection:
        payloads = (await connection.execute(select(outbox.c.payload).order_by(outbox.c.id))).all()

    # One customer: only the oldest pending event is handed out.
    assert [entry.version for entry in entries] == [1]
    events = [check_contract(b"cust-1", row.payload) for row in payloads]
    assert [(e["type"], e["version"], e["amount"], e["currency"]) for e in events] == [
        ("order.placed", 1, "0.0001", "JPY"),
        ("order.cancelled", 2, "0.0001", "JPY"),
    ]
    assert events[0]["occurred_at"] != events[1]["occurred_at"] or placed == cancelled
    assert events[0]["event_id"] != events[1]["event_id"]


async def test_the_published_value_is_the_stored_bytes_keyed_by_the_customer(
    store: OrderStore,
) -> None:
    await store.place(NewOrder("cust-2", Decimal("12.50"), "EUR"))

    (entry,) = await OUTBOX.next_batch(store.database, 10)

    assert entry.key == b"cust-2"
    assert check_contract(entry.key, entry.payload)["amount"] == "12.50"


async def test_a_snapshot_restates_the_current_version_and_status_as_of_its_taking(
    store: OrderStore,
) -> None:
    standing = await store.place(NewOrder("cust-1", Decimal("12.50"), "EUR"))
    cancelled = await store.place(NewOrder("cust-2", Decimal("0.0001"), "JPY"))
    cancelled = await store.cancel(cancelled.order_id)
    taken_at = datetime(2026, 12, 9, 8, tzinfo=UTC)

    snapshots = [build_snapshot(order, taken_at) for order in (standing, cancelled)]

    assert [(s.type, s.order_id, s.version, s.key) for s in snapshots] == [
        (SNAPSHOT_EVENT, standing.order_id, 1, b"cust-1"),
        (SNAPSHOT_EVENT, cancelled.order_id, 2, b"cust-2"),
    ]
    events = [check_contract(s.key, s.value) for s in snapshots]
    assert [(e["status"], e["version"], e["amount"], e["currency"]) for e in events] == [
        ("placed", 1, "12.50", "EUR"),
        ("cancelled", 2, "0.0001", "JPY"),
    ]
    # When it was taken, not when the order last changed: a snapshot is no change.
    assert {e["occurred_at"] for e in events} == {"2026-12-09T08:00:00.000000Z"}
    assert all(s.occurred_at == taken_at for s in snapshots)
