"""Reader: OLF's statistics written with Quix Streams 3.28.1, the way its documentation shows.

The comparison OLF is held to: the same contract and semantics (docs/event-contract.md, "How
events are applied"), built from Quix Streams' documented parts with their
defaults (at-least-once, RocksDB state with changelog topics, a 5 s commit
interval):

1. ``apply(stateful=True, expand=True)`` on the input, keyed by customer: the
   per-customer ``State`` holds the latest version and profile. A message that
   breaks the contract becomes a ``rejected`` count, a version not above the
   stored one a ``duplicates`` count; an applied event becomes an ``applied``
   count plus one -1/+1 delta per bucket it leaves or enters.
2. ``group_by("bucket")``: the deltas are re-keyed by bucket (``country:NL``,
   ``events:applied``...) through Quix's repartition topic, as its docs do for
   totals by a column.
3. ``apply(stateful=True)`` per bucket: ``State`` holds the bucket's count.

The last step's output (each bucket's newest count) is what the benchmark reads
back and checks against the reference model. The reader stops once it has
consumed every input message and every delta it produced.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pycountry
from quixstreams import Application, State

from dev.benchmark.memory import peak_rss_mb
from dev.benchmark.reader_process import ReaderOutput, reader_arguments, write_output

TYPES = frozenset({"customer.created", "customer.updated", "customer.deleted"})
SEGMENTS = frozenset({"consumer", "smb", "enterprise"})
STATUSES = frozenset({"active", "inactive", "suspended"})
COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)
DIMENSIONS = ("country", "segment", "status")
OUTCOMES = ("applied", "duplicates", "rejected")

Profile = tuple[str, str, str]


@dataclass(frozen=True)
class Event:
    customer_id: str
    version: int
    profile: Profile | None  # None for deletes


def parse_event(key: bytes | None, value: bytes) -> Event | None:
    """The event in ``value``, or None when it breaks OLF's contract (docs/event-contract.md)."""
    try:
        body = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    event_id, kind, customer_id = body.get("event_id"), body.get("type"), body.get("customer_id")
    version, occurred_at = body.get("version"), body.get("occurred_at")
    if not (isinstance(event_id, str) and event_id and kind in TYPES):
        return None
    if not (isinstance(customer_id, str) and 1 <= len(customer_id) <= 64):
        return None
    if key is None or key != customer_id.encode():
        return None
    if type(version) is not int or version < 1 or not _is_timestamp(occurred_at):
        return None
    # ``deleted`` belongs to customer.snapshot only, which the benchmark's
    # workload has none of (so this reader rejects snapshots as an unknown type).
    if body.get("deleted") is not None:
        return None
    if kind == "customer.deleted":
        return Event(customer_id, version, None)
    profile = _profile(body.get("customer"))
    return None if profile is None else Event(customer_id, version, profile)


def _is_timestamp(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _profile(customer: object) -> Profile | None:
    if not isinstance(customer, dict):
        return None
    name, email = customer.get("name"), customer.get("email")
    country, segment, status = (customer.get(d) for d in DIMENSIONS)
    if not (isinstance(name, str) and isinstance(email, str)):
        return None
    if country in COUNTRIES and segment in SEGMENTS and status in STATUSES:
        return (country, segment, status)
    return None


def delta(bucket: str, change: int) -> dict[str, Any]:
    return {"bucket": bucket, "delta": change}


def apply_event(
    value: bytes, key: bytes | None, timestamp: int, headers: object, state: State
) -> list[dict[str, Any]]:
    """Step 1, per customer: update its State; return the bucket deltas the event causes.

    State ``customer``: ``[version, country, segment, status]``, or ``[version]``
    after a delete (a tombstone, so older versions stay duplicates).
    """
    event = parse_event(key, value)
    if event is None:
        return [delta("events:rejected", 1)]
    stored = state.get("customer")
    if event.version <= (stored[0] if stored else 0):
        return [delta("events:duplicates", 1)]
    before = tuple(stored[1:]) if stored and len(stored) == 4 else None
    state.set("customer", [event.version, *(event.profile or ())])
    deltas = [delta("events:applied", 1)]
    for index, dimension in enumerate(DIMENSIONS):
        old = before[index] if before else None
        new = event.profile[index] if event.profile else None
        if old != new:
            if old is not None:
                deltas.append(delta(f"{dimension}:{old}", -1))
            if new is not None:
                deltas.append(delta(f"{dimension}:{new}", 1))
    return deltas


def add_to_count(row: dict[str, Any], state: State) -> dict[str, Any]:
    """Step 3, per bucket: its State ``count`` plus the delta; return the new count."""
    count = int(state.get("count", 0)) + int(row["delta"])
    state.set("count", count)
    return {"bucket": row["bucket"], "count": count}


@dataclass
class Progress:
    """Counts the benchmark needs to know when the reader is done; none of it is statistics."""

    input_topic: str
    events: int
    consumed: int = 0
    deltas_produced: int = 0
    deltas_consumed: int = 0
    first: float = 0.0
    last: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def done(self) -> bool:
        return self.consumed == self.events and self.deltas_consumed == self.deltas_produced


def build_app(
    bootstrap: str, group: str, topic_name: str, state_dir: Path, progress: Progress
) -> Application:
    # Annotated: the callback below refers to the app it is handed to.
    app: Application = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        state_dir=str(state_dir),
        loglevel="WARNING",
        on_message_processed=lambda topic, partition, offset: on_processed(app, topic, progress),
    )
    # Bytes in: a message that is not JSON is the reader's to reject, not a crash.
    topic = app.topic(topic_name, value_deserializer="bytes", key_deserializer="bytes")

    def first_step(
        value: bytes, key: bytes | None, timestamp: int, headers: object, state: State
    ) -> list[dict[str, Any]]:
        if not progress.first:
            progress.first = time.monotonic()
        deltas = apply_event(value, key, timestamp, headers, state)
        progress.deltas_produced += len(deltas)
        return deltas

    def record(row: dict[str, Any]) -> None:
        progress.counts[row["bucket"]] = row["count"]

    sdf = app.dataframe(topic)
    sdf = sdf.apply(first_step, stateful=True, expand=True, metadata=True)
    sdf = sdf.group_by("bucket")
    sdf = sdf.apply(add_to_count, stateful=True)
    sdf.update(record)
    return app


def on_processed(app: Application, topic: str, progress: Progress) -> None:
    if topic == progress.input_topic:
        progress.consumed += 1
    else:
        progress.deltas_consumed += 1
    if progress.done():
        progress.last = time.monotonic()
        app.stop()


def answers(counts: dict[str, int]) -> dict[str, Any]:
    """The counts in the shape of OLF's answers: events by outcome, customers by dimension."""
    by: dict[str, dict[str, int]] = {dimension: {} for dimension in DIMENSIONS}
    events = dict.fromkeys(OUTCOMES, 0)
    for bucket, count in counts.items():
        group, name = bucket.split(":", 1)
        if group == "events":
            events[name] = count
        elif count:
            by[group][name] = count
    return {"events": events, "counts": by, "total": sum(by["country"].values())}


def main() -> int:
    args = reader_arguments("OLF's statistics with Quix Streams").parse_args()
    progress = Progress(args.topic, args.events)
    app = build_app(args.bootstrap, args.group, args.topic, args.state_dir, progress)
    app.run()
    if not progress.done():
        print(f"stopped early: {progress}", file=sys.stderr)
        return 1
    seconds = progress.last - progress.first
    output = ReaderOutput(seconds, progress.consumed, peak_rss_mb(), answers(progress.counts))
    write_output(args.result, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
