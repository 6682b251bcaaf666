"""Event-time windows of applied events: one row per partition, metric and hour.

A row holds the hour's count and its per-minute counts, so one event updates
one row for both the 1-minute and the 1-hour series.
"""

from __future__ import annotations

from typing import Final, cast

import faust

from models.customer_event import CREATED, DELETED, UPDATED

MINUTE: Final = 60
HOUR: Final = 3600
#: Series name by event type; only applied events are counted.
METRIC_OF_TYPE: Final = {CREATED: "signups", UPDATED: "updates", DELETED: "deletions"}
METRICS: Final = tuple(METRIC_OF_TYPE.values())
#: How far back each series is kept and answered, counted in whole windows
#: back from the window of the newest applied event.
MINUTE_WINDOWS_KEPT: Final = 24 * 60
HOUR_WINDOWS_KEPT: Final = 30 * 24


def window_start(epoch_seconds: float, size: int) -> int:
    """Start of the tumbling window of ``size`` seconds containing the moment."""
    return int(epoch_seconds // size) * size


class HourWindow(faust.Record, serializer="json"):
    """Applied events of one metric in one hour of one partition.

    ``minutes`` maps the minute's start (epoch seconds, as a string: JSON keys
    are strings) to its count. ``offset`` is the input offset of the last
    event counted here.
    """

    offset: int
    count: int = 0
    minutes: dict[str, int] = {}  # noqa: RUF012  (never mutated in place)

    def with_event(self, offset: int, epoch_seconds: float) -> HourWindow:
        """This window after counting the event at ``offset`` that occurred then."""
        minute = str(window_start(epoch_seconds, MINUTE))
        minutes = dict(self.minutes)
        minutes[minute] = minutes.get(minute, 0) + 1
        return cast(HourWindow, self.derive(offset=offset, count=self.count + 1, minutes=minutes))
