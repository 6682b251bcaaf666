"""Every way to break the contract: rejected, dead-lettered as sent, with a clear reason."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from app.factory import Olf
from models.customer_event import parse_customer_event
from tests.events import event_document
from tests.olf_driver import RecordingDeadLetters, put

PARTITION = 2


def valid() -> dict[str, Any]:
    return event_document("cust-1", 1, country="NL")


def with_changes(**changes: Any) -> bytes:
    document = valid()
    for name, value in changes.items():
        if value is None:
            document.pop(name)
        else:
            document[name] = value
    return orjson.dumps(document)


def with_customer(**changes: Any) -> bytes:
    document = valid()
    document["customer"] = {**document["customer"], **changes}
    return orjson.dumps(document)


CASES: list[tuple[str, bytes | None, bytes, str]] = [
    ("not JSON", b"cust-1", b"{oops", "value is not valid UTF-8 JSON"),
    ("not UTF-8", b"cust-1", b'{"type": "\xff"}', "value is not valid UTF-8 JSON"),
    ("not an object", b"cust-1", b'"customer.created"', "value must be a JSON object, got str"),
    ("missing field", b"cust-1", with_changes(event_id=None), "event_id is missing"),
    ("mistyped field", b"cust-1", with_changes(event_id=7), "event_id must be a string"),
    ("unknown type", b"cust-1", with_changes(type="customer.merged"), "type must be one of"),
    ("version not int", b"cust-1", with_changes(version="1"), "version must be an integer"),
    ("version boolean", b"cust-1", with_changes(version=True), "version must be an integer"),
    ("version below 1", b"cust-1", with_changes(version=0), "version must be >= 1"),
    ("bad time", b"cust-1", with_changes(occurred_at="26/11/2026"), "occurred_at is not an RFC"),
    (
        "time without offset",
        b"cust-1",
        with_changes(occurred_at="2026-11-26T10:15:00"),
        "occurred_at needs a date, a time and Z or an offset",
    ),
    ("unknown country", b"cust-1", with_customer(country="XX"), "customer.country must be an ISO"),
    ("lower-case country", b"cust-1", with_customer(country="nl"), "customer.country must be"),
    ("unknown segment", b"cust-1", with_customer(segment="vip"), "customer.segment must be one"),
    ("unknown status", b"cust-1", with_customer(status="gone"), "customer.status must be one of"),
    ("no name", b"cust-1", with_customer(name=None), "customer.name must be a string"),
    ("no customer", b"cust-1", with_changes(customer=None), "customer is missing"),
    (
        "customer on delete",
        b"cust-1",
        with_changes(type="customer.deleted"),
        "customer must be absent or null for customer.deleted",
    ),
    ("customer id too long", b"x" * 65, with_changes(customer_id="x" * 65), "1-64 characters"),
    ("missing key", None, with_changes(), "message key is missing"),
    ("different key", b"cust-2", with_changes(), "message key differs from customer_id"),
    (
        "snapshot without deleted",
        b"cust-1",
        with_changes(type="customer.snapshot"),
        "deleted must be true or false on customer.snapshot",
    ),
    (
        "snapshot with deleted not a boolean",
        b"cust-1",
        with_changes(type="customer.snapshot", deleted="no"),
        "deleted must be true or false on customer.snapshot",
    ),
    (
        "customer on a deleted snapshot",
        b"cust-1",
        with_changes(type="customer.snapshot", deleted=True),
        "customer must be absent or null for a deleted customer.snapshot",
    ),
    (
        "no customer on a live snapshot",
        b"cust-1",
        with_changes(type="customer.snapshot", deleted=False, customer=None),
        "customer is missing (required for customer.snapshot)",
    ),
    (
        "deleted on a change",
        b"cust-1",
        with_changes(deleted=False),
        "deleted is only allowed on customer.snapshot",
    ),
    (
        "changed on create",
        b"cust-1",
        with_changes(changed=["country"]),
        "changed is only allowed on customer.updated",
    ),
]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_rejected_message_goes_to_the_dead_letters_as_sent(
    olf: Olf, dead_letters: RecordingDeadLetters, key: bytes | None, value: bytes, reason: str
) -> None:
    async with olf.apply_events.test_context() as agent:
        assert await put(agent, key, value, PARTITION) == "rejected"
        # The agent goes on with the next message.
        key_ok, value_ok = b"cust-9", orjson.dumps(event_document("cust-9", 1))
        assert await put(agent, key_ok, value_ok, PARTITION) == "applied"

    [(dead, why)] = dead_letters.records
    assert (dead.key, dead.value, dead.partition, dead.offset) == (key, value, PARTITION, 0)
    assert dead.topic == "customer-events"
    assert reason in why
    assert "Ada" not in why
    assert "ada@example.com" not in why
    stats = olf.statistics.partition(PARTITION)
    assert (stats.rejected, stats.applied, stats.total) == (1, 1, 1)


def test_unknown_fields_are_ignored() -> None:
    document = valid() | {"schema": 2, "extra": {"nested": True}}
    document["customer"]["loyalty"] = "gold"
    event = parse_customer_event(b"cust-1", orjson.dumps(document))
    assert event.version == 1
