"""Per-partition reports: what one worker knows, and how reports merge.

A worker reports only the input partitions it actively owns, once it has
recovered its tables. A query merges the reports of all workers and says how
many partitions they covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from models.event_window import (
    HOUR,
    HOUR_WINDOWS_KEPT,
    MINUTE,
    MINUTE_WINDOWS_KEPT,
    window_start,
)
from models.partition_stats import NOTHING_PROCESSED, PartitionStats, merge_counts
from tables.statistics import Statistics

#: Window sizes the time series are kept in, by their API name.
WINDOW_SIZES: Final = {"1m": MINUTE, "1h": HOUR}
WINDOWS_KEPT: Final = {"1m": MINUTE_WINDOWS_KEPT, "1h": HOUR_WINDOWS_KEPT}


@dataclass(frozen=True, slots=True)
class Series:
    """One time series: a metric (``signups``...) in windows of ``window`` (``1m``/``1h``).

    ``windows`` limits the answer to that many windows back from the newest
    event's window (the live stream wants one hour, not a day); None: all kept.
    """

    metric: str
    window: str
    windows: int | None = None


@dataclass(frozen=True, slots=True)
class PartitionReport:
    """One partition's stats, consumer lag and (if asked) one series' points."""

    stats: PartitionStats
    lag: int
    points: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stats": self.stats.to_json(),
            "lag": self.lag,
            "points": {str(start): count for start, count in self.points.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartitionReport:
        return cls(
            stats=PartitionStats.from_json(data["stats"]),
            lag=int(data["lag"]),
            points={int(start): int(count) for start, count in data["points"].items()},
        )


def partition_report(
    statistics: Statistics,
    partition: int,
    highwater: int,
    log_start: int,
    series: Series | None,
) -> PartitionReport:
    """Report of one locally owned partition; ``highwater`` is its log end offset."""
    stats = statistics.partition(partition)
    next_offset = log_start if stats.offset == NOTHING_PROCESSED else stats.offset + 1
    lag = max(0, highwater - next_offset)
    points = series_points(statistics, partition, stats, series) if series else {}
    return PartitionReport(stats=stats, lag=lag, points=points)


def series_points(
    statistics: Statistics, partition: int, stats: PartitionStats, series: Series
) -> dict[int, int]:
    """Non-empty windows of ``series`` in ``partition`` within the kept range."""
    if stats.newest_event_time is None:
        return {}
    first = oldest_window_kept(stats.newest_event_time, series.window, series.windows)
    last_hour = window_start(stats.newest_event_time, HOUR)
    points: dict[int, int] = {}
    for hour, window in statistics.windows(
        partition, series.metric, window_start(first, HOUR), last_hour
    ):
        if series.window == "1h":
            points[hour] = window.count
        else:
            for minute, count in window.minutes.items():
                if int(minute) >= first:
                    points[int(minute)] = count
    return points


def oldest_window_kept(newest_event_time: float, window: str, windows: int | None = None) -> int:
    """Start of the oldest window of size ``window`` answered, given the newest event.

    ``windows`` answers fewer windows than are kept; None or more than kept: all kept.
    """
    size = WINDOW_SIZES[window]
    kept = WINDOWS_KEPT[window] if windows is None else min(windows, WINDOWS_KEPT[window])
    return window_start(newest_event_time, size) - (kept - 1) * size


@dataclass(frozen=True, slots=True)
class ClusterView:
    """Reports of the partitions the workers covered, at most one per partition."""

    partitions: dict[int, PartitionReport]
    partition_count: int

    @classmethod
    def merge(cls, reports: list[dict[int, PartitionReport]], partition_count: int) -> ClusterView:
        """Merge worker reports; a partition reported twice (mid-rebalance) keeps the newer."""
        merged: dict[int, PartitionReport] = {}
        for report in reports:
            for partition, partial in report.items():
                known = merged.get(partition)
                if known is None or partial.stats.offset > known.stats.offset:
                    merged[partition] = partial
        return cls(partitions=merged, partition_count=partition_count)

    @property
    def newest_event_time(self) -> float | None:
        times = [
            report.stats.newest_event_time
            for report in self.partitions.values()
            if report.stats.newest_event_time is not None
        ]
        return max(times) if times else None

    def counts(self, dimension: str) -> dict[str, int]:
        return merge_counts(report.stats.counts(dimension) for report in self.partitions.values())

    def total(self, counter: str) -> int:
        """Sum of one :class:`PartitionStats` integer field over the partitions."""
        return sum(int(getattr(report.stats, counter)) for report in self.partitions.values())

    def summary(self) -> dict[str, Any]:
        """Existing customers and processed messages by outcome."""
        return {
            "customers": {"total": self.total("total")},
            "events": {
                "applied": self.total("applied"),
                "duplicates": self.total("duplicates"),
                "rejected": self.total("rejected"),
            },
        }

    def points(self, series: Series) -> list[dict[str, Any]]:
        """The merged series, ascending, non-empty windows only."""
        newest = self.newest_event_time
        if newest is None:
            return []
        first = oldest_window_kept(newest, series.window, series.windows)
        merged = merge_counts(
            {str(start): count for start, count in report.points.items() if start >= first}
            for report in self.partitions.values()
        )
        return [
            {"start": format_time(int(start)), "count": count}
            for start, count in sorted(merged.items(), key=lambda item: int(item[0]))
        ]

    def as_of(self) -> dict[str, Any]:
        """How fresh and complete this view is."""
        newest = self.newest_event_time
        return {
            "newest_event_time": None if newest is None else format_time(newest),
            "lag": sum(report.lag for report in self.partitions.values()),
            "partitions_covered": len(self.partitions),
            "partitions_total": self.partition_count,
            "complete": len(self.partitions) == self.partition_count,
        }


def format_time(epoch_seconds: float) -> str:
    """RFC 3339 UTC timestamp with a Z, to the second."""
    moment = datetime.fromtimestamp(int(epoch_seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
