"""The ``statistics`` table: all of OLF's state, in one changelog-backed table.

It holds three kinds of rows, each only ever written while processing an
event of the input partition the row belongs to:

* ``customer/<customer_id>`` → :class:`CustomerState` (version and counted
  attributes; a tombstone after a delete),
* ``partition/<p>`` → :class:`PartitionStats` (counts by country, segment and
  status, event outcome counters, last processed offset),
* ``window/<p>/<metric>/<hour start>`` → :class:`HourWindow` (applied events
  per minute and per hour, by event time).

Why one table and not three: Kafka orders messages only within one partition.
With one table, every write caused by input partition *p* goes to partition
*p* of one changelog topic, in the order it was made. Whatever survives a
crash is therefore a prefix of those writes, which is what lets the agent
finish a half-written event exactly (see :mod:`agents.customer_events`). With
one table per kind, a crash could keep a later write of one table and lose an
earlier write of another.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import faust
from faust.types import TableT

from models.customer_state import CustomerState
from models.event_window import HOUR, HourWindow
from models.partition_stats import PartitionStats

TABLE_NAME: Final = "statistics"


def declare_statistics_table(app: faust.App, partitions: int) -> TableT[str, Any]:
    """Declare the table on ``app``; ``partitions`` must match the input topic."""
    return app.Table(
        TABLE_NAME,
        key_type=str,
        value_type=None,  # one of three record types, told apart by their namespace
        partitions=partitions,
        help="Customer states, per-partition counts and event-time windows.",
    )


class Statistics:
    """Typed reads and writes of the ``statistics`` table's three kinds of rows.

    Writes must happen inside an agent, while processing an event of the
    partition the row belongs to; they go to the changelog in call order.
    """

    def __init__(self, table: TableT[str, Any]) -> None:
        self.table = table

    def customer(self, customer_id: str) -> CustomerState | None:
        state: CustomerState | None = self.table.get(_customer_key(customer_id))
        return state

    def put_customer(self, customer_id: str, state: CustomerState) -> None:
        self.table[_customer_key(customer_id)] = state

    def partition(self, partition: int) -> PartitionStats:
        """Stats of ``partition``; empty ones when it has processed nothing."""
        stats: PartitionStats | None = self.table.get(_partition_key(partition))
        return stats if stats is not None else PartitionStats()

    def put_partition(self, partition: int, stats: PartitionStats) -> None:
        self.table[_partition_key(partition)] = stats

    def window(self, partition: int, metric: str, hour_start: int) -> HourWindow | None:
        window: HourWindow | None = self.table.get(_window_key(partition, metric, hour_start))
        return window

    def put_window(self, partition: int, metric: str, hour_start: int, window: HourWindow) -> None:
        self.table[_window_key(partition, metric, hour_start)] = window

    def delete_window(self, partition: int, metric: str, hour_start: int) -> None:
        key = _window_key(partition, metric, hour_start)
        if key in self.table:
            del self.table[key]

    def windows(
        self, partition: int, metric: str, first_hour: int, last_hour: int
    ) -> Iterator[tuple[int, HourWindow]]:
        """Stored windows of ``partition`` and ``metric`` with hour starts in the range."""
        for hour_start in range(first_hour, last_hour + 1, HOUR):
            window = self.window(partition, metric, hour_start)
            if window is not None:
                yield hour_start, window


def _customer_key(customer_id: str) -> str:
    return f"customer/{customer_id}"


def _partition_key(partition: int) -> str:
    return f"partition/{partition}"


def _window_key(partition: int, metric: str, hour_start: int) -> str:
    return f"window/{partition}/{metric}/{hour_start}"
