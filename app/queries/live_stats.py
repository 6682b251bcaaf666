"""What the live stream shows: a snapshot of all statistics, and the delta between two.

A snapshot has four sections, each an object of named parts::

    summary     customers: {"total"}, events: {"applied", "duplicates", "rejected"}
    counts      country, segment, status: {bucket: customers}, empty buckets left out
    timeseries  signups, updates, deletions: [{"start", "count"}], 1-minute windows
                of the last hour (the 60 minutes up to the newest applied event's
                minute), ascending, non-empty windows only
    as_of       newest_event_time, lag, partitions_covered, partitions_total, complete

A delta has the same shape with only the parts that changed; each part in it
replaces the part of the same section and name, so a client that applies every
delta in order to its snapshot holds the newer snapshot. Parts never disappear.
"""

from __future__ import annotations

from typing import Any, Final

from app.queries.answers import MergedReports, summary_parts
from models.event_window import METRICS
from models.partition_stats import DIMENSIONS

#: Windows of the live time series: one hour of minutes.
LIVE_WINDOW: Final = "1m"
LIVE_WINDOWS: Final = 60

#: section -> part name -> JSON value
Snapshot = dict[str, dict[str, Any]]


def live_snapshot(merged: MergedReports) -> Snapshot:
    """All statistics of all partitions the workers cover; every part from the same reports."""
    return {
        "summary": summary_parts(merged),
        "counts": {dimension: merged.counts(dimension) for dimension in DIMENSIONS},
        "timeseries": {
            metric: merged.points(metric, LIVE_WINDOW, LIVE_WINDOWS) for metric in METRICS
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
