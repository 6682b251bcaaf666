"""The ``customer-events`` wire contract: plain UTF-8 JSON, keyed by ``customer_id``.

Any service may publish these events without knowing Faust. Parsing is strict
about what OLF aggregates and ignores unknown fields (forward compatibility).
Only the attributes OLF counts by (country, segment, status) leave this module:
names and e-mail addresses are validated for shape and then dropped.

``customer.snapshot`` restates a customer's current state (``"deleted": true``
and no ``customer`` for a deleted one) rather than announcing a change; the
agent counts it in no time series (docs/event-contract.md).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import pycountry

from models import event_fields
from models.event_fields import InvalidEvent, check_key, json_object, parse_time, required_string

CREATED: Final = "customer.created"
UPDATED: Final = "customer.updated"
DELETED: Final = "customer.deleted"
SNAPSHOT: Final = "customer.snapshot"
EVENT_TYPES: Final = (CREATED, UPDATED, DELETED, SNAPSHOT)
SEGMENTS: Final = ("consumer", "smb", "enterprise")
STATUSES: Final = ("active", "inactive", "suspended")
COUNTRY_CODES: Final = frozenset(country.alpha_2 for country in pycountry.countries)
MAX_CUSTOMER_ID_LENGTH: Final = 64


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """The attributes OLF aggregates by; the only customer data it keeps."""

    country: str
    segment: str
    status: str


@dataclass(frozen=True, slots=True)
class CustomerEvent:
    """One validated change, or snapshot, of one customer.

    ``profile`` is None for deletes and for snapshots of a deleted customer.
    """

    event_id: str
    type: str
    customer_id: str
    version: int
    occurred_at: datetime
    profile: CustomerProfile | None


def parse_customer_event(key: bytes | None, value: bytes | None) -> CustomerEvent:
    """Validate one Kafka message against the contract.

    Raises:
        InvalidEvent: with a human-readable reason naming the offending field.
    """
    document = json_object(value)

    event_id = required_string(document, "event_id")
    event_type = required_string(document, "type")
    if event_type not in EVENT_TYPES:
        raise InvalidEvent(f"type must be one of {', '.join(EVENT_TYPES)}")
    customer_id = required_string(document, "customer_id")
    if len(customer_id) > MAX_CUSTOMER_ID_LENGTH:
        raise InvalidEvent(f"customer_id must be 1-{MAX_CUSTOMER_ID_LENGTH} characters")
    check_key(key, customer_id)
    version = event_fields.version(document)
    occurred_at = parse_time(document.get("occurred_at"))
    deleted = _parse_deleted(event_type, document.get("deleted"))
    profile = _parse_profile(event_type, deleted, document.get("customer"))
    _check_changed(event_type, document.get("changed"))
    return CustomerEvent(event_id, event_type, customer_id, version, occurred_at, profile)


def _parse_deleted(event_type: str, raw: object) -> bool:
    """``deleted`` of a snapshot; required there (a missing ``customer`` must
    never silently mean a deletion), and not allowed on a change event."""
    if event_type != SNAPSHOT:
        if raw is not None:
            raise InvalidEvent("deleted is only allowed on customer.snapshot")
        return event_type == DELETED
    if not isinstance(raw, bool):
        raise InvalidEvent("deleted must be true or false on customer.snapshot")
    return raw


def _parse_profile(event_type: str, deleted: bool, raw: object) -> CustomerProfile | None:
    if deleted:
        if raw is not None:
            what = "a deleted customer.snapshot" if event_type == SNAPSHOT else event_type
            raise InvalidEvent(f"customer must be absent or null for {what}")
        return None
    if raw is None:
        raise InvalidEvent(f"customer is missing (required for {event_type})")
    if not isinstance(raw, dict):
        raise InvalidEvent("customer must be a JSON object")
    for text_field in ("name", "email"):
        if not isinstance(raw.get(text_field), str):
            raise InvalidEvent(f"customer.{text_field} must be a string")
    country = raw.get("country")
    if not isinstance(country, str) or country not in COUNTRY_CODES:
        raise InvalidEvent("customer.country must be an ISO 3166-1 alpha-2 code")
    segment = raw.get("segment")
    if segment not in SEGMENTS:
        raise InvalidEvent(f"customer.segment must be one of {', '.join(SEGMENTS)}")
    status = raw.get("status")
    if status not in STATUSES:
        raise InvalidEvent(f"customer.status must be one of {', '.join(STATUSES)}")
    return profile_of(country, str(segment), str(status))


@functools.cache
def profile_of(country: str, segment: str, status: str) -> CustomerProfile:
    """The one profile object with these (valid) attributes.

    Shared by every event and customer state that has them: a million
    customers then hold no strings of their own, and parsing allocates
    nothing that outlives a batch (which would keep Python's memory arenas
    from being returned). At most 249 x 3 x 3 of them exist.
    """
    return CustomerProfile(sys.intern(country), sys.intern(segment), sys.intern(status))


def _check_changed(event_type: str, raw: object) -> None:
    if raw is None:
        return
    if event_type != UPDATED:
        raise InvalidEvent("changed is only allowed on customer.updated")
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InvalidEvent("changed must be a list of field names")
