"""Live statistics of one input partition: the unit OLF stores and merges.

Every customer lives in exactly one partition of ``customer-events`` (the key
is the customer id), so per-partition counts never overlap and the whole
picture is the sum over partitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, cast

import faust

from models.customer_event import CustomerProfile

DIMENSIONS: Final = ("country", "segment", "status")
#: ``offset`` of a partition that has processed nothing yet.
NOTHING_PROCESSED: Final = -1


class PartitionStats(faust.Record, serializer="json"):
    """Counts over the customers of one partition, plus event outcome counters.

    ``offset`` is the input offset of the last message processed (applied,
    duplicate or rejected); ``newest_event_time`` the largest ``occurred_at``
    (epoch seconds) of an applied event.
    """

    offset: int = NOTHING_PROCESSED
    total: int = 0
    by_country: dict[str, int] = {}  # noqa: RUF012  (never mutated in place)
    by_segment: dict[str, int] = {}  # noqa: RUF012
    by_status: dict[str, int] = {}  # noqa: RUF012
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

    def with_applied(
        self,
        offset: int,
        event_time: float,
        before: CustomerProfile | None,
        after: CustomerProfile | None,
    ) -> PartitionStats:
        """Stats after the event at ``offset`` moved a customer from ``before`` to ``after``.

        None stands for "not an existing customer" (unknown or deleted).
        Buckets that drop to zero disappear.
        """
        by_country, by_segment, by_status = (
            dict(self.by_country),
            dict(self.by_segment),
            dict(self.by_status),
        )
        total = self.total
        for profile, step in ((before, -1), (after, +1)):
            if profile is None:
                continue
            total += step
            _add(by_country, profile.country, step)
            _add(by_segment, profile.segment, step)
            _add(by_status, profile.status, step)
        newest = event_time if self.newest_event_time is None else self.newest_event_time
        return cast(
            PartitionStats,
            self.derive(
                offset=offset,
                total=total,
                by_country=by_country,
                by_segment=by_segment,
                by_status=by_status,
                applied=self.applied + 1,
                newest_event_time=max(newest, event_time),
            ),
        )

    def with_duplicate(self, offset: int) -> PartitionStats:
        """Stats after an event that changed nothing (version not newer)."""
        return cast(PartitionStats, self.derive(offset=offset, duplicates=self.duplicates + 1))

    def with_rejected(self, offset: int) -> PartitionStats:
        """Stats after a message that broke the contract."""
        return cast(PartitionStats, self.derive(offset=offset, rejected=self.rejected + 1))


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
