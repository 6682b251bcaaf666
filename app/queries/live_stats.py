"""What the live stream shows: a snapshot of all statistics, and the delta between two.

A snapshot has five sections, each an object of named parts::

    summary     customers: {"total"}, events: {"applied", "duplicates", "rejected"},
                orders: {currency: {"placed", "revenue"}},
                order_events: {"applied", "duplicates", "rejected"}
    counts      country, segment, status: {bucket: customers}, empty buckets left out
    orders      country, segment: {bucket: {currency: {"placed", "revenue"}}}
    timeseries  signups, updates, deletions, and orders.<currency> and
                revenue.<currency> of every currency seen: [{"start", "count"}]
                ({"start", "amount"} for revenue), 1-minute windows of the last
                hour (the 60 minutes up to the newest applied event's minute),
                ascending, windows with events only
    as_of       newest_event_time, lag, partitions_covered, partitions_total, complete

A delta has the same shape with only the parts that changed; each part in it
replaces the part of the same section and name, so a client that applies every
delta in order to its snapshot holds the newer snapshot. Parts never disappear.
"""

from __future__ import annotations

from typing import Any, Final

from app.queries.answers import MergedReports, order_buckets, summary_parts
from models.event_window import metrics_of
from models.partition_stats import DIMENSIONS, ORDER_DIMENSIONS

#: Windows of the live time series: one hour of minutes.
LIVE_WINDOW: Final = "1m"
LIVE_WINDOWS: Final = 60

#: section -> part name -> JSON value
Snapshot = dict[str, dict[str, Any]]


def live_snapshot(merged: MergedReports) -> Snapshot:
    """All statistics of all partitions the workers cover; every part from the same reports."""
    currencies = sorted(
        {
            currency
            for report in merged.reports.values()
            for currency in report.stats.order_currencies
        }
    )
    return {
        "summary": summary_parts(merged),
        "counts": {dimension: merged.counts(dimension) for dimension in DIMENSIONS},
        "orders": {
            dimension: order_buckets(merged.order_counts(dimension))
            for dimension in ORDER_DIMENSIONS
        },
        "timeseries": {
            metric: merged.points(metric, LIVE_WINDOW, LIVE_WINDOWS)
            for metric in metrics_of(currencies)
        },
        "as_of": merged.as_of(),
    }


def delta(old: Snapshot, new: Snapshot) -> Snapshot:
    """The parts of ``new`` that differ from ``old``; empty when nothing changed."""
    changed: Snapshot = {}
    for section, parts in new.items():
        before = old.get(section, {})
        different = {name: value for name, value in parts.items() if before.get(name) != value}
        if different:
            changed[section] = different
    return changed
