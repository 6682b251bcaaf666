"""Builders of ``customer-events`` messages for tests, per the wire contract."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

DEFAULT_TIME = datetime(2026, 11, 26, 10, 15, 0, tzinfo=UTC)


def customer_document(
    country: str = "NL", segment: str = "smb", status: str = "active"
) -> dict[str, Any]:
    """A full customer state as the Customer service publishes it."""
    return {
        "name": "Ada Example",
        "email": "ada@example.com",
        "country": country,
        "segment": segment,
        "status": status,
    }


def event_document(
    customer_id: str,
    version: int,
    event_type: str = "customer.created",
    *,
    country: str = "NL",
    segment: str = "smb",
    status: str = "active",
    occurred_at: datetime = DEFAULT_TIME,
    deleted: bool = False,
) -> dict[str, Any]:
    """One contract-conforming event as a JSON-ready dict.

    ``deleted`` makes a ``customer.snapshot`` one of a deleted customer.
    """
    document: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "customer_id": customer_id,
        "version": version,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
    }
    if event_type == "customer.snapshot":
        document["deleted"] = deleted
    if event_type != "customer.deleted" and not deleted:
        document["customer"] = customer_document(country, segment, status)
    return document


def encode(document: Any) -> bytes:
    """Serialize a document the way any JSON publisher would."""
    return orjson.dumps(document)


def message(
    customer_id: str, version: int, event_type: str = "customer.created", **attributes: Any
) -> tuple[bytes, bytes]:
    """Key and value bytes of one valid event."""
    document = event_document(customer_id, version, event_type, **attributes)
    return customer_id.encode(), encode(document)
