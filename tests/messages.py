"""Hypothesis strategies for ``customer-events`` messages, valid and malformed.

Each message carries its ground truth (:class:`tests.reference_model.Sent`),
so the oracle never has to parse anything.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import strategies as st

from tests.reference_model import Facts, Sent

BASE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
COUNTRIES = ("NL", "DE", "BE")
SEGMENTS = ("consumer", "smb", "enterprise")
STATUSES = ("active", "inactive", "suspended")
TYPES = ("customer.created", "customer.updated", "customer.deleted", "customer.snapshot")
SNAPSHOT = "customer.snapshot"


def partition_of(key: bytes, partitions: int) -> int:
    """A stable stand-in for the producer's partitioner."""
    return zlib.crc32(key) % partitions


def document(facts: Facts, event_id: str = "e") -> dict[str, Any]:
    """The JSON document of a valid event with ``facts``."""
    body: dict[str, Any] = {
        "event_id": event_id,
        "type": facts.type,
        "customer_id": facts.customer_id,
        "version": facts.version,
        "occurred_at": datetime.fromtimestamp(facts.occurred_at, tz=UTC).isoformat(),
    }
    if facts.type == SNAPSHOT:
        body["deleted"] = facts.profile is None
    if facts.profile is not None:
        country, segment, status = facts.profile
        body["customer"] = {
            "name": "Ada",
            "email": "ada@example.com",
            "country": country,
            "segment": segment,
            "status": status,
        }
    return body


@st.composite
def facts(draw: st.DrawFn, customer_ids: int = 6, max_version: int = 6, days: int = 40) -> Facts:
    event_type = draw(st.sampled_from(TYPES))
    profile = None
    # A snapshot of a deleted customer has no profile, like a delete.
    deleted_snapshot = event_type == SNAPSHOT and draw(st.booleans())
    if event_type != "customer.deleted" and not deleted_snapshot:
        profile = (
            draw(st.sampled_from(COUNTRIES)),
            draw(st.sampled_from(SEGMENTS)),
            draw(st.sampled_from(STATUSES)),
        )
    # Seconds with a fraction (windows start at floors of event time), either
    # anywhere in ``days`` or close to where the 24-hour and 30-day
    # retention edges fall when the newest event is near the start.
    anywhere = st.floats(0, days * 86400, allow_nan=False)
    near_edges = st.builds(
        lambda edge, shift: max(0.0, edge + shift),
        st.sampled_from([0, 3600, 86400, 29 * 86400, 30 * 86400, 31 * 86400]),
        st.floats(-7200, 7200, allow_nan=False),
    )
    offset = round(draw(st.one_of(anywhere, near_edges)), 3)
    return Facts(
        customer_id=f"c{draw(st.integers(0, customer_ids - 1))}",
        type=event_type,
        version=draw(st.integers(1, max_version)),
        occurred_at=(BASE_TIME + timedelta(seconds=offset)).timestamp(),
        profile=profile,
    )


def valid_message(event: Facts, partitions: int) -> Sent:
    key = event.customer_id.encode()
    return Sent(partition_of(key, partitions), key, orjson.dumps(document(event)), event)


#: Ways to break the contract: each takes a valid document and returns key and value.
Corruption = Callable[[Facts], tuple[bytes | None, bytes]]


def _with(event: Facts, **changes: Any) -> tuple[bytes | None, bytes]:
    body = document(event)
    for name, value in changes.items():
        if value is _DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return event.customer_id.encode(), orjson.dumps(body)


_DROP = object()

CORRUPTIONS: dict[str, Corruption] = {
    "not JSON": lambda e: (e.customer_id.encode(), b"{not json"),
    "not an object": lambda e: (e.customer_id.encode(), b"[1, 2]"),
    "missing event_id": lambda e: _with(e, event_id=_DROP),
    "mistyped version": lambda e: _with(e, version="3"),
    "version below 1": lambda e: _with(e, version=0),
    "unknown type": lambda e: _with(e, type="customer.merged"),
    "bad time": lambda e: _with(e, occurred_at="yesterday"),
    "snapshot without deleted": lambda e: _with(e, type=SNAPSHOT, deleted=_DROP),
    "deleted snapshot with customer": lambda e: _with(
        e, type=SNAPSHOT, deleted=True, customer=document(e).get("customer") or {"name": "A"}
    ),
    "deleted on a change": lambda e: _with(e, deleted=False, type="customer.created"),
    "unknown country": lambda e: _with(
        e, customer={**document(e).get("customer", {}), "country": "XX"}, type="customer.created"
    ),
    "key differs": lambda e: (b"someone-else", orjson.dumps(document(e))),
    "no key": lambda e: (None, orjson.dumps(document(e))),
}


@st.composite
def malformed_message(draw: st.DrawFn, partitions: int) -> Sent:
    event = draw(facts())
    key, value = CORRUPTIONS[draw(st.sampled_from(sorted(CORRUPTIONS)))](event)
    partition = partition_of(key or b"", partitions)
    return Sent(partition, key, value, None)


@st.composite
def message_streams(draw: st.DrawFn, partitions: int, max_size: int = 60) -> list[Sent]:
    """Streams of valid events (duplicates, gaps, deletes, re-creates, snapshots of
    live and deleted customers at any version), bad ones, and exact replays of
    earlier messages, as a producer retry or a re-publish makes."""
    valid = facts().map(lambda event: valid_message(event, partitions))
    stream = draw(
        st.lists(st.one_of(valid, valid, valid, malformed_message(partitions)), max_size=max_size)
    )
    for _ in range(draw(st.integers(0, 5)) if stream else 0):
        replayed = stream[draw(st.integers(0, len(stream) - 1))]
        stream.insert(draw(st.integers(0, len(stream))), replayed)
    return stream
