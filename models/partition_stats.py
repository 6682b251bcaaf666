"""Live statistics of one input partition: the unit OLF stores and merges.

Every customer lives in exactly one partition of ``customer-events`` (the key
is the customer id), so per-partition counts never overlap and the whole
picture is the sum over partitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from models.customer_event import CustomerProfile
from models.json_rows import dump_row

DIMENSIONS: Final = ("country", "segment", "status")
#: ``offset`` of a partition that has processed nothing yet.
NOTHING_PROCESSED: Final = -1
#: Version of the stored row layout (see :mod:`tables.rows`); older layouts are refused.
ROW_FORMAT: Final = 2


class UnknownRowFormat(ValueError):
    """A stored row was written in a layout this version of OLF cannot read."""


@dataclass(slots=True)
class PartitionStats:
    """Counts over the customers of one partition, plus event outcome counters.

    ``offset`` is the input offset of the last message processed (applied,
    duplicate or rejected); ``newest_event_time`` the largest ``occurred_at``
    (epoch seconds) of an applied change event (snapshots do not count).

    The agent changes a :meth:`copy` while it processes a batch and then
    publishes it; a published object is never changed again, so a reader
    holding one sees one consistent moment.
    """

    offset: int = NOTHING_PROCESSED
    total: int = 0
    by_country: dict[str, int] = field(default_factory=dict)
    by_segment: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    newest_event_time: float | None = None

    def counts(self, dimension: str) -> dict[str, int]:
        """Customers per bucket of ``dimension`` (one of :data:`DIMENSIONS`)."""
        return {
            "country": self.by_country,
            "segment": self.by_segment,
            "status": self.by_status,
        }[dimension]

    def copy(self) -> PartitionStats:
        """A copy to change, sharing nothing mutable with this one."""
        return PartitionStats(
            offset=self.offset,
            total=self.total,
            by_country=dict(self.by_country),
            by_segment=dict(self.by_segment),
            by_status=dict(self.by_status),
            applied=self.applied,
            duplicates=self.duplicates,
            rejected=self.rejected,
            newest_event_time=self.newest_event_time,
        )

    def count_applied(
        self,
        offset: int,
        event_time: float | None,
        before: CustomerProfile | None,
        after: CustomerProfile | None,
    ) -> None:
        """Count the event at ``offset`` that moved a customer from ``before`` to ``after``.

        None stands for "not an existing customer" (unknown or deleted).
        Buckets that drop to zero disappear. ``event_time`` is None for a
        snapshot, whose time says when it was taken, not when anything
        happened, so it must not move ``newest_event_time`` (and with it the
        time series' retention).
        """
        if before is not None:
            self.total -= 1
            _add(self.by_country, before.country, -1)
            _add(self.by_segment, before.segment, -1)
            _add(self.by_status, before.status, -1)
        if after is not None:
            self.total += 1
            _add(self.by_country, after.country, 1)
            _add(self.by_segment, after.segment, 1)
            _add(self.by_status, after.status, 1)
        self.offset = offset
        self.applied += 1
        if event_time is None:
            return
        if self.newest_event_time is None or event_time > self.newest_event_time:
            self.newest_event_time = event_time

    def count_duplicate(self, offset: int) -> None:
        """Count an event that changed nothing (version not newer)."""
        self.offset = offset
        self.duplicates += 1

    def count_rejected(self, offset: int) -> None:
        """Count a message that broke the contract."""
        self.offset = offset
        self.rejected += 1

    def to_json(self) -> dict[str, Any]:
        """All fields, as stored and as the workers' internal API sends them."""
        return {
            "offset": self.offset,
            "total": self.total,
            "by_country": self.by_country,
            "by_segment": self.by_segment,
            "by_status": self.by_status,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "newest_event_time": self.newest_event_time,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PartitionStats:
        """The inverse of :meth:`to_json`; unknown keys are ignored."""
        return cls(
            offset=int(data["offset"]),
            total=int(data["total"]),
            by_country=dict(data["by_country"]),
            by_segment=dict(data["by_segment"]),
            by_status=dict(data["by_status"]),
            applied=int(data["applied"]),
            duplicates=int(data["duplicates"]),
            rejected=int(data["rejected"]),
            newest_event_time=data["newest_event_time"],
        )

    def encode(self) -> bytes:
        """The stored row, marked with :data:`ROW_FORMAT`."""
        return dump_row({"format": ROW_FORMAT, **self.to_json()})

    @classmethod
    def decode(cls, row: bytes) -> PartitionStats:
        """The inverse of :meth:`encode`.

        Raises:
            UnknownRowFormat: the row was written by an OLF with another layout.
        """
        return cls.from_row(orjson.loads(row))

    @classmethod
    def from_row(cls, data: Mapping[str, Any]) -> PartitionStats:
        """Stats from a decoded stored row (see :meth:`encode`)."""
        if data.get("format") != ROW_FORMAT:
            raise UnknownRowFormat(
                f"stored statistics have row format {data.get('format', 1)!r}, this OLF reads"
                f" {ROW_FORMAT}: run it with a new OLF_APP_ID (or `make clean` on a laptop)"
            )
        return cls.from_json(data)


def merge_counts(partials: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Sum bucket counts of several partitions."""
    merged: dict[str, int] = {}
    for partial in partials:
        for bucket, count in partial.items():
            merged[bucket] = merged.get(bucket, 0) + count
    return merged


def _add(counts: dict[str, int], bucket: str, step: int) -> None:
    count = counts.get(bucket, 0) + step
    if count:
        counts[bucket] = count
    else:
        del counts[bucket]
