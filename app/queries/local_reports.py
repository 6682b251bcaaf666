"""Reports of the partitions this worker owns, kept in step with the statistics table.

:meth:`LocalReports.refresh` runs on a timer (see :mod:`app.queries.merged_view`).
A partition whose published stats or lag changed gets a new revision, and its
series takes only the windows the agent published since the last refresh
(:meth:`tables.partition_state.PartitionState.take_published_windows`), so a
refresh costs what changed, not what is kept. A partition whose live state is
new (first seen, or loaded again after a rebalance) is read whole once, under
a new ``source`` name, so every copy of its old report is replaced whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.queries.partition_report import (
    NO_REVISION,
    PartitionReport,
    ReportUpdate,
    hour_range,
)
from models.event_window import HOUR, metrics_of, retention_cutoff, window_start
from tables.partition_state import PartitionState, WindowKey
from tables.statistics import Statistics


@dataclass(slots=True)
class _Tracked:
    """A partition's report, the live state it follows, and when each window last changed."""

    state: PartitionState
    report: PartitionReport
    changed_at: dict[WindowKey, int] = field(default_factory=dict)


class LocalReports:
    """The reports of this worker's partitions, and the updates other workers ask for."""

    def __init__(self, statistics: Statistics) -> None:
        self.statistics = statistics
        self._tracked: dict[int, _Tracked] = {}
        #: The partitions reported: owned and recovered, as of the last refresh.
        self.reports: dict[int, PartitionReport] = {}

    def refresh(self, lags: Mapping[int, int]) -> None:
        """Report exactly the partitions of ``lags`` (owned now, with their consumer lag)."""
        live = self.statistics.states
        for partition in [
            p for p, tracked in self._tracked.items() if live.get(p) is not tracked.state
        ]:
            del self._tracked[partition]
        reports = {}
        for partition, lag in lags.items():
            tracked = self._tracked.get(partition)
            state = self.statistics.state(partition)
            if tracked is None:
                tracked = self._tracked[partition] = load(state, lag)
            else:
                follow(tracked, lag)
            reports[partition] = tracked.report
        self.reports = reports

    def update_for(self, partition: int, source: str, since: int) -> ReportUpdate | None:
        """What a copy at revision ``since`` of ``source`` lacks; None: not reported here."""
        tracked = self._tracked.get(partition)
        if tracked is None or partition not in self.reports:
            return None
        report = tracked.report
        complete = source != report.source or not NO_REVISION < since <= report.revision
        if complete:
            keys = report.series.window_keys()
        else:
            keys = [key for key, revision in tracked.changed_at.items() if revision > since]
        newest = report.stats.newest_event_time
        windows = [] if newest is None else [report.series.update_of(*key, newest) for key in keys]
        return ReportUpdate(
            partition=partition,
            source=report.source,
            since=NO_REVISION if complete else since,
            revision=report.revision,
            stats=report.stats,
            lag=report.lag,
            windows=[window for window in windows if window is not None],
            complete=complete,
        )


def load(state: PartitionState, lag: int) -> _Tracked:
    """Read a partition's kept windows whole: a new source, at its first revision."""
    state.take_published_windows()  # everything they hold is read below
    stats = state.stats
    report = PartitionReport(state.partition, uuid.uuid4().hex[:12], 1, stats, lag)
    newest = stats.newest_event_time
    if newest is not None:
        for metric in metrics_of(stats.order_currencies):
            for hour in hour_range(retention_cutoff(newest), window_start(newest, HOUR)):
                window = state.window(metric, hour)
                if window is not None:
                    report.series.put(metric, hour, window)
        report.series.keep_only_retained(newest)
    return _Tracked(state, report)


def follow(tracked: _Tracked, lag: int) -> None:
    """Bring a tracked report up to its live state; a new revision if anything changed."""
    state, report = tracked.state, tracked.report
    published = state.take_published_windows()
    if not published and state.stats is report.stats and lag == report.lag:
        return
    report.revision += 1
    for (metric, hour), window in published.items():
        report.series.put(metric, hour, window)
        tracked.changed_at[metric, hour] = report.revision
    old_newest = report.stats.newest_event_time
    report.stats, report.lag = state.stats, lag
    newest = report.stats.newest_event_time
    if newest is not None and newest != old_newest:
        report.series.keep_only_retained(newest)
        cutoff = retention_cutoff(newest)
        for key in [key for key in tracked.changed_at if key[1] < cutoff]:
            del tracked.changed_at[key]
