"""What every applied event does in time: its outcome, the partition's clock, and its windows.

A partition has one clock for both topics: its newest event time, the
largest ``occurred_at`` of an applied change of a customer or an order. The
time series keep whole hours back from it (:func:`models.event_window.retention_cutoff`),
so a window is counted only within retention and pruned as the clock moves on.
Whatever the order in which events arrive, a window ends up holding every
applied event at or after the final cut-off: the cut-off only moves forward.
"""

from __future__ import annotations

from enum import StrEnum

from models.event_window import HOUR, metrics_of, retention_cutoff, window_start
from tables.partition_state import Draft


class Outcome(StrEnum):
    """What processing one message did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    #: Processed before a restart; skipped.
    ALREADY_PROCESSED = "already-processed"


def prune_windows(draft: Draft, old_newest: float | None) -> None:
    """Delete the windows that fell out of retention since the clock read ``old_newest``.

    Call it after the draft's stats counted an event. No window is older than
    the old cut-off (none is counted behind the cut-off of its moment, and
    each move of the cut-off prunes what it passes) nor newer than the old
    newest hour, so only those hours are looked at.
    """
    new_newest = draft.stats.newest_event_time
    if old_newest is None or new_newest is None:
        return
    if window_start(new_newest, HOUR) <= window_start(old_newest, HOUR):
        return  # the cut-off moves by whole hours only
    old_cutoff, new_cutoff = retention_cutoff(old_newest), retention_cutoff(new_newest)
    last = min(new_cutoff, window_start(old_newest, HOUR) + HOUR)
    metrics = metrics_of(draft.stats.order_currencies)
    for hour in range(old_cutoff, last, HOUR):
        for metric in metrics:
            draft.delete_window(metric, hour)


def count_in_window(draft: Draft, metric: str, event_time: float, amount: int = 1) -> None:
    """Count ``amount`` of ``metric`` in the hour window of ``event_time``.

    Not if that hour is older than anything kept (it would only be pruned
    again). Call it after the draft's stats counted the event.
    """
    newest = draft.stats.newest_event_time
    hour = window_start(event_time, HOUR)
    if newest is not None and hour < retention_cutoff(newest):
        return
    draft.window_to_change(metric, hour).add_event(event_time, amount)
