"""Event-time windows of applied events: one row per partition, metric and hour.

A row holds the hour's count and its per-minute counts, so one event updates
one row for both the 1-minute and the 1-hour series.

Customer series count applied events by type. Order series are per currency
(``orders.EUR``, ``revenue.EUR``): each applied order event adds, in the
window of its ``occurred_at``, what it changed of the totals (see
:func:`models.order_state.order_change`): +1 order for an order first seen,
its amount to the revenue when placed, minus it when cancelled. So each order
series sums, over all windows, to the totals (within retention).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import orjson

from models.customer_event import CREATED, DELETED, UPDATED
from models.json_rows import dump_row

MINUTE: Final = 60
HOUR: Final = 3600
#: Series name by event type; only applied events are counted.
METRIC_OF_TYPE: Final = {CREATED: "signups", UPDATED: "updates", DELETED: "deletions"}
METRICS: Final = tuple(METRIC_OF_TYPE.values())
#: The order series, each per currency.
ORDER_METRICS: Final = ("orders", "revenue")
#: The name of one order series: ``orders.EUR``, ``revenue.JPY``.
ORDER_SERIES: Final = re.compile(rf"({'|'.join(ORDER_METRICS)})\.[A-Z]{{3}}")
#: How far back each series is kept and answered, counted in whole windows
#: back from the window of the newest applied event.
MINUTE_WINDOWS_KEPT: Final = 24 * 60
HOUR_WINDOWS_KEPT: Final = 30 * 24


def order_metric(metric: str, currency: str) -> str:
    """The series of one order metric and currency: ``revenue.EUR``."""
    return f"{metric}.{currency}"


def metrics_of(currencies: Iterable[str]) -> tuple[str, ...]:
    """Every series of a partition whose orders have ``currencies``."""
    return METRICS + tuple(order_metric(m, c) for c in currencies for m in ORDER_METRICS)


def is_money(metric: str) -> bool:
    """Whether the series counts money units (see :mod:`models.money`), not events."""
    return metric.startswith("revenue.")


def window_start(epoch_seconds: float, size: int) -> int:
    """Start of the tumbling window of ``size`` seconds containing the moment."""
    return int(epoch_seconds // size) * size


#: The series' window sizes, by their name in the API, and how many of each are kept.
WINDOW_SIZES: Final = {"1m": MINUTE, "1h": HOUR}
WINDOWS_KEPT: Final = {"1m": MINUTE_WINDOWS_KEPT, "1h": HOUR_WINDOWS_KEPT}


def oldest_window_kept(newest_event_time: float, window: str, windows: int | None = None) -> int:
    """Start of the oldest window of size ``window`` (``1m``/``1h``) kept and answered.

    ``windows`` answers fewer windows than are kept; None or more than kept: all kept.
    """
    size = WINDOW_SIZES[window]
    kept = WINDOWS_KEPT[window] if windows is None else min(windows, WINDOWS_KEPT[window])
    return window_start(newest_event_time, size) - (kept - 1) * size


def retention_cutoff(newest_event_time: float) -> int:
    """Start of the oldest hour window kept, given a partition's newest event time."""
    return oldest_window_kept(newest_event_time, "1h")


def oldest_hour_with_minutes(newest_event_time: float) -> int:
    """Start of the oldest hour window whose minutes the 1-minute series still answers."""
    return window_start(oldest_window_kept(newest_event_time, "1m"), HOUR)


@dataclass(slots=True)
class HourWindow:
    """Applied events (or money units) of one metric in one hour of one partition.

    ``minutes`` maps each minute's start (epoch seconds) to its count; a
    revenue minute can be zero or negative (cancellations).
    """

    count: int = 0
    minutes: dict[int, int] = field(default_factory=dict)

    def copy(self) -> HourWindow:
        """A copy to change, sharing nothing mutable with this one."""
        return HourWindow(self.count, dict(self.minutes))

    def add_event(self, epoch_seconds: float, amount: int = 1) -> None:
        """Count ``amount`` at ``epoch_seconds`` (within this hour): one event by default."""
        minute = window_start(epoch_seconds, MINUTE)
        self.minutes[minute] = self.minutes.get(minute, 0) + amount
        self.count += amount

    def encode(self) -> bytes:
        """The stored row: ``{"count": n, "minutes": {"<minute start>": n}}``."""
        return dump_row(
            {"count": self.count, "minutes": self.minutes}, option=orjson.OPT_NON_STR_KEYS
        )

    @classmethod
    def decode(cls, row: bytes) -> HourWindow:
        """The inverse of :meth:`encode`."""
        data = orjson.loads(row)
        return cls(int(data["count"]), {int(minute): n for minute, n in data["minutes"].items()})
