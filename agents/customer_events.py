"""The agent that turns customer events into live statistics.

Semantics (the README documents the same):

* An event is *applied* when its version is greater than the stored version
  of its customer (0 for an unknown one): the customer's state becomes the
  event's profile, or a tombstone for ``customer.deleted``. Gaps are fine,
  since every event carries the full state. Applied events are counted in
  event-time windows by type (signups, updates, deletions).
* Otherwise it is a *duplicate* (a retry or replay) and changes no count.
* A message that breaks the contract is *rejected*: it goes to the
  dead-letter topic with its reason, is counted, and the agent goes on.

Crash safety. Every event makes its writes to the ``statistics`` table in a
fixed order: the partition row (which records the event's offset) first,
then the customer row, then the window row. The changelog keeps a prefix of
them (see :mod:`tables.statistics`), so after a restart an event whose offset
is below the partition row's was fully written and is skipped, and the event
*at* that offset may lack its customer and window writes, which
:func:`finish_event` adds. Nothing is counted twice or lost.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from enum import StrEnum

import faust
from faust.types import AgentT, EventT, StreamT

from agents.dead_letters import DeadLetters
from models.customer_event import CustomerEvent, InvalidEvent, parse_customer_event
from models.customer_state import CustomerState
from models.event_window import (
    HOUR,
    HOUR_WINDOWS_KEPT,
    METRIC_OF_TYPE,
    METRICS,
    HourWindow,
    window_start,
)
from models.partition_stats import NOTHING_PROCESSED, PartitionStats
from tables.statistics import Statistics

log = logging.getLogger(__name__)

#: Hours before the retention cut-off that pruning looks at again, to catch
#: windows a crash kept from being pruned.
PRUNE_OVERLAP_HOURS = 48


class Outcome(StrEnum):
    """What processing one message did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    #: Seen before a restart; only its missing writes (if any) were made.
    ALREADY_PROCESSED = "already-processed"


def declare_customer_events_agent(
    app: faust.App, topic: faust.TopicT, statistics: Statistics, dead_letters: DeadLetters
) -> AgentT[bytes]:
    """Declare the ``apply_customer_events`` agent on ``app``, reading ``topic``."""

    @app.agent(topic, name="apply_customer_events")
    async def apply_customer_events(stream: StreamT[bytes]) -> AsyncIterator[str]:
        """Apply each customer event to the statistics; yield its :class:`Outcome`."""
        async for event in stream.events():
            yield await process(event, statistics, dead_letters)

    return apply_customer_events


async def process(
    event: EventT[bytes], statistics: Statistics, dead_letters: DeadLetters
) -> Outcome:
    """Process one message of ``customer-events``."""
    message = event.message
    partition, offset = message.partition, message.offset
    # Read once: on RocksDB every read decodes the row again.
    stats = statistics.partition(partition)
    if NOTHING_PROCESSED < stats.offset < offset - 1:
        # Offsets are dense unless a producer used transactions (their commit
        # markers take offsets too); otherwise messages were skipped.
        log.warning(
            "Offset jump on %s[%d]: last processed %d, now %d",
            message.topic,
            partition,
            stats.offset,
            offset,
        )
    try:
        customer_event = parse_customer_event(event.key, event.value)
    except InvalidEvent as rejection:
        if offset <= stats.offset:
            return Outcome.ALREADY_PROCESSED
        log.warning("Rejected %s[%d]@%d: %s", message.topic, partition, offset, rejection.reason)
        await dead_letters.send(message, rejection.reason)
        statistics.put_partition(partition, stats.with_rejected(offset))
        return Outcome.REJECTED
    if offset < stats.offset:
        return Outcome.ALREADY_PROCESSED
    if offset == stats.offset:
        finish_event(statistics, partition, offset, customer_event, stats)
        return Outcome.ALREADY_PROCESSED
    return apply_event(statistics, partition, offset, customer_event, stats)


def apply_event(
    statistics: Statistics,
    partition: int,
    offset: int,
    event: CustomerEvent,
    stats: PartitionStats,
) -> Outcome:
    """Apply one valid event to ``stats``, the partition's current row.

    Runs without awaiting: a view never sees half of it.
    """
    stored = statistics.customer(event.customer_id)
    if stored is not None and event.version <= stored.version:
        statistics.put_partition(partition, stats.with_duplicate(offset))
        return Outcome.DUPLICATE

    event_time = event.occurred_at.timestamp()
    before = stored.profile if stored is not None else None
    updated = stats.with_applied(offset, event_time, before, event.profile)
    statistics.put_partition(partition, updated)
    statistics.put_customer(
        event.customer_id, CustomerState.of(event.version, offset, event.profile)
    )
    newest = max(event_time, stats.newest_event_time or event_time)
    if stats.newest_event_time is not None:
        prune_windows(statistics, partition, stats.newest_event_time, newest)
    count_in_window(statistics, partition, offset, event, newest)
    return Outcome.APPLIED


def finish_event(
    statistics: Statistics,
    partition: int,
    offset: int,
    event: CustomerEvent,
    stats: PartitionStats,
) -> None:
    """Make the writes that followed the partition row of the event at ``offset``.

    Only needed after a crash, for the one event whose partition row was
    written but whose later writes may be lost. Each write is made only if
    missing, so calling this for a fully written event changes nothing.
    """
    stored = statistics.customer(event.customer_id)
    if stored is None or stored.version < event.version:
        # Applied before the crash (a duplicate would have found a version
        # at least as high), but its customer row was lost.
        statistics.put_customer(
            event.customer_id, CustomerState.of(event.version, offset, event.profile)
        )
    elif stored.offset != offset:
        return  # it was a duplicate: nothing followed the partition row
    # The partition row already counts this event, so its newest time is set.
    count_in_window(statistics, partition, offset, event, stats.newest_event_time or 0.0)


def count_in_window(
    statistics: Statistics, partition: int, offset: int, event: CustomerEvent, newest: float
) -> None:
    """Count an applied event in its hour window, unless already counted or too old.

    ``newest`` is the partition's newest event time, this event included.
    """
    event_time = event.occurred_at.timestamp()
    hour = window_start(event_time, HOUR)
    if hour < retention_cutoff(newest):
        return  # older than anything kept: it would only be pruned again
    metric = METRIC_OF_TYPE[event.type]
    window = statistics.window(partition, metric, hour) or HourWindow(offset=-1)
    if window.offset < offset:
        statistics.put_window(partition, metric, hour, window.with_event(offset, event_time))


def retention_cutoff(newest_event_time: float) -> int:
    """Start of the oldest hour window kept, given a partition's newest event time."""
    return window_start(newest_event_time, HOUR) - (HOUR_WINDOWS_KEPT - 1) * HOUR


def prune_windows(
    statistics: Statistics, partition: int, old_newest: float, new_newest: float
) -> None:
    """Delete the windows that fell out of retention when the newest event time advanced.

    Only windows between the old cut-off (less an overlap, for windows a
    crash kept from being pruned) and the old newest hour can exist there.
    """
    old_cutoff, new_cutoff = retention_cutoff(old_newest), retention_cutoff(new_newest)
    if new_cutoff <= old_cutoff:
        return
    first = old_cutoff - PRUNE_OVERLAP_HOURS * HOUR
    last = min(new_cutoff, window_start(old_newest, HOUR) + HOUR)
    for hour in range(first, last, HOUR):
        for metric in METRICS:
            statistics.delete_window(partition, metric, hour)
