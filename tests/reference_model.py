"""A small, obviously right model of OLF's statistics, used as the test oracle.

It does not parse or validate: the test that builds a message says whether it
is valid and what it means (see :mod:`tests.messages`). It keeps everything
(no retention) and applies the retention rule only when asked for a series.
A ``customer.snapshot`` sets the state like any applied event but is no
event in time: no series point, and no say in the newest event time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

MINUTES_KEPT = 24 * 60
HOURS_KEPT = 30 * 24
WINDOW_SECONDS = {"1m": 60, "1h": 3600}
WINDOWS_KEPT = {"1m": MINUTES_KEPT, "1h": HOURS_KEPT}
METRIC = {
    "customer.created": "signups",
    "customer.updated": "updates",
    "customer.deleted": "deletions",
}
SNAPSHOT = "customer.snapshot"


@dataclass(frozen=True)
class Facts:
    """What a valid event says.

    ``profile`` is (country, segment, status); None for deletes and for
    snapshots of deleted customers.
    """

    customer_id: str
    type: str
    version: int
    occurred_at: float  # epoch seconds
    profile: tuple[str, str, str] | None


@dataclass(frozen=True)
class Sent:
    """One message as produced: where it went, its bytes, and its facts if valid."""

    partition: int
    key: bytes | None
    value: bytes
    facts: Facts | None


@dataclass
class ReferenceModel:
    versions: dict[str, int] = field(default_factory=dict)
    profiles: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    dead_letters: list[tuple[int, int, bytes | None, bytes | None]] = field(default_factory=list)
    events: Counter[tuple[str, int]] = field(default_factory=Counter)  # (metric, second)
    newest: float | None = None

    @classmethod
    def of(cls, placed: Iterable[tuple[Sent, int]]) -> ReferenceModel:
        """The model after every message, in order, each with its offset."""
        model = cls()
        for sent, offset in placed:
            model.feed(sent, offset)
        return model

    def feed(self, sent: Sent, offset: int) -> None:
        facts = sent.facts
        if facts is None:
            self.rejected += 1
            self.dead_letters.append((sent.partition, offset, sent.key, sent.value))
            return
        if facts.version <= self.versions.get(facts.customer_id, 0):
            self.duplicates += 1
            return
        self.applied += 1
        self.versions[facts.customer_id] = facts.version
        if facts.profile is None:
            self.profiles.pop(facts.customer_id, None)
        else:
            self.profiles[facts.customer_id] = facts.profile
        if facts.type == SNAPSHOT:
            return
        self.events[(METRIC[facts.type], int(facts.occurred_at))] += 1
        self.newest = (
            facts.occurred_at if self.newest is None else max(self.newest, facts.occurred_at)
        )

    @property
    def total(self) -> int:
        return len(self.profiles)

    def counts(self, by: str) -> dict[str, int]:
        index = ("country", "segment", "status").index(by)
        return dict(Counter(profile[index] for profile in self.profiles.values()))

    def points(self, metric: str, window: str) -> list[dict[str, object]]:
        if self.newest is None:
            return []
        size = WINDOW_SECONDS[window]
        first = (int(self.newest) // size - (WINDOWS_KEPT[window] - 1)) * size
        buckets: Counter[int] = Counter()
        for (event_metric, second), count in self.events.items():
            start = second // size * size
            if event_metric == metric and start >= first:
                buckets[start] += count
        return [{"start": iso(start), "count": buckets[start]} for start in sorted(buckets)]

    def newest_event_time(self) -> str | None:
        return None if self.newest is None else iso(int(self.newest))


def iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
