"""The statistics answers of the public API, built from the reports of every partition.

Each answer's ``as_of`` says how fresh and complete it is: the newest event
time among the covered partitions, their summed consumer lag, and how many of
the input's partitions the answer covers (``complete`` only when all are).
Every part of one answer comes from the same reports, so its counts sum to its total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.queries.partition_report import PartitionReport
from infrastructure.timestamps import rfc3339_seconds
from models.event_window import HOUR, oldest_window_kept
from models.partition_stats import merge_counts


@dataclass(frozen=True, slots=True)
class MergedReports:
    """At most one report per partition: those the workers covered, of ``partition_count``."""

    reports: Mapping[int, PartitionReport]
    partition_count: int

    @property
    def newest_event_time(self) -> float | None:
        times = [
            report.stats.newest_event_time
            for report in self.reports.values()
            if report.stats.newest_event_time is not None
        ]
        return max(times) if times else None

    def counts(self, dimension: str) -> dict[str, int]:
        """Customers per bucket of ``dimension``, empty buckets left out."""
        return merge_counts(report.stats.counts(dimension) for report in self.reports.values())

    def total(self, counter: str) -> int:
        """Sum of one :class:`PartitionStats` integer field over the partitions."""
        return sum(int(getattr(report.stats, counter)) for report in self.reports.values())

    def points(self, metric: str, window: str, windows: int | None = None) -> list[dict[str, Any]]:
        """The series of ``metric`` in ``window`` s, ascending, non-empty windows only.

        ``windows``: at most that many windows back from the newest event's; None: all kept.
        """
        newest = self.newest_event_time
        if newest is None:
            return []
        first = oldest_window_kept(newest, window, windows)
        per_window: dict[int, int] = {}
        for report in self.reports.values():
            if window == "1h":
                for hour, count in report.series.hours[metric].items():
                    if hour >= first:
                        per_window[hour] = per_window.get(hour, 0) + count
                continue
            for hour, minutes in report.series.minutes[metric].items():
                if hour + HOUR > first:
                    for minute, count in minutes.items():
                        if minute >= first:
                            per_window[minute] = per_window.get(minute, 0) + count
        return [
            {"start": rfc3339_seconds(start), "count": per_window[start]}
            for start in sorted(per_window)
        ]

    def as_of(self) -> dict[str, Any]:
        """How fresh and complete answers from these reports are."""
        newest = self.newest_event_time
        return {
            "newest_event_time": None if newest is None else rfc3339_seconds(newest),
            "lag": sum(report.lag for report in self.reports.values()),
            "partitions_covered": len(self.reports),
            "partitions_total": self.partition_count,
            "complete": len(self.reports) == self.partition_count,
        }


def summary(merged: MergedReports) -> dict[str, Any]:
    """``GET /api/stats/summary``: existing customers and processed messages by outcome."""
    return {**summary_parts(merged), "as_of": merged.as_of()}


def summary_parts(merged: MergedReports) -> dict[str, Any]:
    return {
        "customers": {"total": merged.total("total")},
        "events": {
            "applied": merged.total("applied"),
            "duplicates": merged.total("duplicates"),
            "rejected": merged.total("rejected"),
        },
    }


def customer_counts(merged: MergedReports, dimension: str) -> dict[str, Any]:
    """``GET /api/stats/customers?by=``: customers per bucket of ``dimension``."""
    return {
        "by": dimension,
        "counts": merged.counts(dimension),
        "total": merged.total("total"),
        "as_of": merged.as_of(),
    }


def timeseries(merged: MergedReports, metric: str, window: str) -> dict[str, Any]:
    """``GET /api/stats/timeseries``: every kept window of the series."""
    return {
        "metric": metric,
        "window": window,
        "points": merged.points(metric, window),
        "as_of": merged.as_of(),
    }
