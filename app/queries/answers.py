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
from models.event_window import HOUR, is_money, oldest_window_kept
from models.money import format_amount
from models.partition_stats import OrderCounts, merge_counts


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

    def order_counts(self, dimension: str) -> OrderCounts:
        """Orders per (bucket, currency) of ``dimension``; a bucket's placed orders are never 0."""
        merged: OrderCounts = {}
        for report in self.reports.values():
            for key, (placed, revenue) in report.stats.order_counts(dimension).items():
                before_placed, before_revenue = merged.get(key, (0, 0))
                merged[key] = (before_placed + placed, before_revenue + revenue)
        return merged

    def total(self, counter: str) -> int:
        """Sum of one :class:`PartitionStats` integer field over the partitions."""
        return sum(int(getattr(report.stats, counter)) for report in self.reports.values())

    def points(self, metric: str, window: str, windows: int | None = None) -> list[dict[str, Any]]:
        """The series of ``metric`` in ``window`` s, ascending, windows with events only.

        ``windows``: at most that many windows back from the newest event's; None: all kept.
        A point has a ``count`` of events, or for revenue an ``amount`` (decimal string).
        """
        newest = self.newest_event_time
        if newest is None:
            return []
        first = oldest_window_kept(newest, window, windows)
        per_window: dict[int, int] = {}
        for report in self.reports.values():
            if window == "1h":
                for hour, count in report.series.hours.get(metric, {}).items():
                    if hour >= first:
                        per_window[hour] = per_window.get(hour, 0) + count
                continue
            for hour, minutes in report.series.minutes.get(metric, {}).items():
                if hour + HOUR > first:
                    for minute, count in minutes.items():
                        if minute >= first:
                            per_window[minute] = per_window.get(minute, 0) + count
        if is_money(metric):
            return [
                {"start": rfc3339_seconds(start), "amount": format_amount(per_window[start])}
                for start in sorted(per_window)
            ]
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
        "orders": order_totals(merged.order_counts("country")),
        "order_events": {
            "applied": merged.total("order_applied"),
            "duplicates": merged.total("order_duplicates"),
            "rejected": merged.total("order_rejected"),
        },
    }


def order_buckets(counts: OrderCounts) -> dict[str, dict[str, dict[str, Any]]]:
    """``{bucket: {currency: {"placed": n, "revenue": "12.50"}}}``, sorted."""
    buckets: dict[str, dict[str, dict[str, Any]]] = {}
    for (bucket, currency), (placed, revenue) in sorted(counts.items()):
        buckets.setdefault(bucket, {})[currency] = order_figures(placed, revenue)
    return buckets


def order_totals(counts: OrderCounts) -> dict[str, dict[str, Any]]:
    """``{currency: {"placed": n, "revenue": "12.50"}}`` over every bucket of one dimension."""
    totals: dict[str, tuple[int, int]] = {}
    for (_, currency), (placed, revenue) in counts.items():
        before_placed, before_revenue = totals.get(currency, (0, 0))
        totals[currency] = (before_placed + placed, before_revenue + revenue)
    return {currency: order_figures(*totals[currency]) for currency in sorted(totals)}


def order_figures(placed: int, revenue: int) -> dict[str, Any]:
    return {"placed": placed, "revenue": format_amount(revenue)}


def customer_counts(merged: MergedReports, dimension: str) -> dict[str, Any]:
    """``GET /api/stats/customers?by=``: customers per bucket of ``dimension``."""
    return {
        "by": dimension,
        "counts": merged.counts(dimension),
        "total": merged.total("total"),
        "as_of": merged.as_of(),
    }


def order_counts(merged: MergedReports, dimension: str) -> dict[str, Any]:
    """``GET /api/stats/orders?by=``: orders per bucket of ``dimension`` and currency."""
    counts = merged.order_counts(dimension)
    return {
        "by": dimension,
        "orders": order_buckets(counts),
        "totals": order_totals(counts),
        "as_of": merged.as_of(),
    }


def timeseries(merged: MergedReports, metric: str, window: str) -> dict[str, Any]:
    """``GET /api/stats/timeseries``: every kept window of ``metric`` (``revenue.EUR`` too)."""
    return {
        "metric": metric,
        "window": window,
        "points": merged.points(metric, window),
        "as_of": merged.as_of(),
    }
