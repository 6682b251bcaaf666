"""Fields every input event has, checked the same way in every contract (docs/event-contract.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson


class InvalidEvent(ValueError):
    """A message breaks the contract; ``reason`` says how, without personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def json_object(value: bytes | None) -> dict[str, Any]:
    """The message value as a JSON object."""
    if value is None:
        raise InvalidEvent("message has no value")
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(f"value is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEvent(f"value must be a JSON object, got {type(document).__name__}")
    return document


def version(document: dict[str, Any]) -> int:
    """``version``: an integer >= 1 (not a bool, not a string)."""
    raw = document.get("version")
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidEvent("version must be an integer")
    if raw < 1:
        raise InvalidEvent("version must be >= 1")
    return raw


def required_string(document: dict[str, Any], field: str) -> str:
    """The non-empty string ``document[field]``."""
    value = document.get(field)
    if value is None:
        raise InvalidEvent(f"{field} is missing")
    if not isinstance(value, str):
        raise InvalidEvent(f"{field} must be a string")
    if not value:
        raise InvalidEvent(f"{field} must not be empty")
    return value


def check_key(key: bytes | None, customer_id: str) -> None:
    """The message key must be the customer id: it decides the partition."""
    if key is None:
        raise InvalidEvent("message key is missing (must be the customer_id)")
    if key != customer_id.encode("utf-8"):
        raise InvalidEvent("message key differs from customer_id")


def parse_time(raw: object) -> datetime:
    """``occurred_at``: an RFC 3339 timestamp with a date, a time and an offset."""
    if not isinstance(raw, str):
        raise InvalidEvent("occurred_at must be an RFC 3339 timestamp string")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidEvent("occurred_at is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None or "T" not in raw.upper():
        raise InvalidEvent("occurred_at needs a date, a time and Z or an offset")
    return moment
