"""What the read side knows of one input partition, and how it travels between workers.

The worker that owns a partition builds its report (:mod:`app.queries.local_reports`);
the others hold copies (:mod:`app.queries.peer_reports`), kept in step by
:class:`ReportUpdate` s that carry only the windows changed since the copy's
revision. Windows leave a series only by retention, which every holder applies
itself from the partition's newest event time, so updates never carry deletions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from models.event_window import (
    HOUR,
    HourWindow,
    oldest_hour_with_minutes,
    retention_cutoff,
)
from models.partition_stats import PartitionStats

#: A changed window on the wire: metric, hour start, count, minute counts (None:
#: the hour is too old for the 1-minute series).
WindowUpdate = tuple[str, int, int, Mapping[int, int] | None]
#: Revision of a report that has none yet; a copy at this revision gets every window.
NO_REVISION: Final = 0


@dataclass(slots=True)
class PartitionSeries:
    """The counts of one partition's time series, by metric and hour window.

    ``hours[metric][hour]`` counts the hour's events, for every hour kept;
    ``minutes[metric][hour]`` maps each minute start of the hour to its count,
    only for hours the 1-minute series still answers. Minute maps are shared
    with the published windows and never changed. A metric appears with its
    first window (order series are per currency, so not all are known ahead).
    """

    hours: dict[str, dict[int, int]] = field(default_factory=dict)
    minutes: dict[str, dict[int, Mapping[int, int]]] = field(default_factory=dict)

    def put(self, metric: str, hour: int, window: HourWindow | None) -> None:
        """Set one hour window as published; None: it was deleted."""
        if window is None:
            self.hours.get(metric, {}).pop(hour, None)
            self.minutes.get(metric, {}).pop(hour, None)
        else:
            self.hours.setdefault(metric, {})[hour] = window.count
            self.minutes.setdefault(metric, {})[hour] = window.minutes

    def apply(self, update: WindowUpdate) -> None:
        metric, hour, count, minutes = update
        self.hours.setdefault(metric, {})[hour] = count
        if minutes is None:
            self.minutes.get(metric, {}).pop(hour, None)
        else:
            self.minutes.setdefault(metric, {})[hour] = minutes

    def update_of(self, metric: str, hour: int, newest_event_time: float) -> WindowUpdate | None:
        """The window as an update for another holder; None if it is not kept."""
        count = self.hours.get(metric, {}).get(hour)
        if count is None:
            return None
        keeps_minutes = hour >= oldest_hour_with_minutes(newest_event_time)
        minutes = self.minutes.get(metric, {}).get(hour) if keeps_minutes else None
        return metric, hour, count, minutes

    def keep_only_retained(self, newest_event_time: float | None) -> None:
        """Drop what retention dropped: old hours, and minutes of hours answered by hour only."""
        if newest_event_time is None:
            return
        cutoff = retention_cutoff(newest_event_time)
        minutes_from = oldest_hour_with_minutes(newest_event_time)
        for metric, hours in self.hours.items():
            minutes = self.minutes.get(metric, {})
            if hours and min(hours) < cutoff:
                for hour in [hour for hour in hours if hour < cutoff]:
                    del hours[hour]
            if minutes and min(minutes) < minutes_from:
                for hour in [hour for hour in minutes if hour < minutes_from]:
                    del minutes[hour]

    def window_keys(self) -> list[tuple[str, int]]:
        return [(metric, hour) for metric, hours in self.hours.items() for hour in hours]


@dataclass(slots=True)
class PartitionReport:
    """One partition's stats, consumer lag and series, as of ``revision`` of ``source``.

    ``source`` names the owner's copy of the partition (new whenever a worker
    starts owning it); ``revision`` grows with every change of that copy.
    """

    partition: int
    source: str
    revision: int
    stats: PartitionStats
    lag: int
    series: PartitionSeries = field(default_factory=PartitionSeries)


@dataclass(frozen=True, slots=True)
class ReportUpdate:
    """What a holder of a copy at revision ``since`` needs to bring it to ``revision``.

    ``complete``: ``windows`` holds every window (the copy starts from nothing).
    """

    partition: int
    source: str
    since: int
    revision: int
    stats: PartitionStats
    lag: int
    windows: list[WindowUpdate]
    complete: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "since": self.since,
            "revision": self.revision,
            "stats": self.stats.to_json(),
            "lag": self.lag,
            "complete": self.complete,
            "windows": [
                [metric, hour, count, None if minutes is None else list(minutes.items())]
                for metric, hour, count, minutes in self.windows
            ],
        }

    @classmethod
    def from_json(cls, partition: int, data: Mapping[str, Any]) -> ReportUpdate:
        return cls(
            partition=partition,
            source=str(data["source"]),
            since=int(data["since"]),
            revision=int(data["revision"]),
            stats=PartitionStats.from_json(data["stats"]),
            lag=int(data["lag"]),
            complete=bool(data["complete"]),
            windows=[
                (
                    str(metric),
                    int(hour),
                    int(count),
                    None if minutes is None else {int(m): int(n) for m, n in minutes},
                )
                for metric, hour, count, minutes in data["windows"]
            ],
        )

    def apply_to(self, copy: PartitionReport | None) -> PartitionReport | None:
        """The copy brought to this update's revision; None if the update is not for this copy.

        A complete update starts a new copy; any other needs the copy it was asked for.
        """
        if self.complete:
            copy = PartitionReport(self.partition, self.source, self.revision, self.stats, self.lag)
        elif copy is None or (copy.source, copy.revision) != (self.source, self.since):
            return None
        for window in self.windows:
            copy.series.apply(window)
        copy.revision, copy.stats, copy.lag = self.revision, self.stats, self.lag
        copy.series.keep_only_retained(self.stats.newest_event_time)
        return copy


def hour_range(first: int, last: int) -> range:
    """Hour starts from ``first`` to ``last`` (both window starts), inclusive."""
    return range(first, last + 1, HOUR)
