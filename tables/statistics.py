"""The ``statistics`` table: all of OLF's state, in one changelog-backed table.

Every row belongs to one input partition and is only ever written while
processing that partition's events (see :mod:`tables.rows` for the rows).

Why one table and not three: Kafka orders messages only within one partition.
With one table, everything caused by input partition *p* goes to partition
*p* of one changelog topic, in the order it was written, so the checkpoint
record can stand for the rows that follow it (see :mod:`tables.checkpoint`).
With one table per kind of row, a crash could keep a later write of one table
and lose an earlier write of another.

Faust declares the table (its changelog topic, its partitions' assignment to
workers, standby copies, recovery); OLF's store (:mod:`tables.store`) holds the
rows, and :class:`Statistics` is the typed front the agent and the web views use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final, cast

import faust

from models.customer_state import CustomerState
from models.event_window import HOUR, HourWindow
from models.message_batch import KafkaRecord
from models.partition_stats import PartitionStats
from tables.partition_state import PartitionState
from tables.store import StatisticsStore

TABLE_NAME: Final = "statistics"


class StatisticsTable(faust.Table[bytes, bytes]):
    """A Faust table whose rows OLF's own store keeps (see :mod:`tables.store`)."""

    def _new_store(self) -> StatisticsStore:
        return StatisticsStore(
            self._store or self.app.conf.store, self.app, self, table_name=self.name
        )

    @property
    def store(self) -> StatisticsStore:
        return cast(StatisticsStore, self.data)

    def apply_changelog_records(self, partition: int, records: Sequence[KafkaRecord]) -> int:
        """Restore a fetched batch of changelog records; return the rows written."""
        return self.store.apply_changelog_records(partition, records)


def declare_statistics_table(
    app: faust.App, partitions: int, max_message_bytes: int
) -> StatisticsTable:
    """Declare the table on ``app``; ``partitions`` must match the input topic.

    ``max_message_bytes`` is the largest changelog message (a checkpoint record)
    the changelog topic accepts, set when the topic is created.
    """
    table = StatisticsTable(
        app,
        name=TABLE_NAME,
        key_type=bytes,
        value_type=bytes,
        partitions=partitions,
        beacon=app.tables.beacon,
        extra_topic_configs={"max.message.bytes": str(max_message_bytes)},
        help="Customer and order states, per-partition counts and event-time windows.",
    )
    app.tables.add(table)
    return table


class Statistics:
    """Typed reads of the statistics, and the live state of the partitions this worker owns."""

    def __init__(self, table: StatisticsTable) -> None:
        self.table = table
        self.states: dict[int, PartitionState] = {}
        table.store.on_actives_ready.append(self._keep_only)

    def state(self, partition: int) -> PartitionState:
        """The live state of ``partition``, loaded from its stored rows on first use."""
        state = self.states.get(partition)
        if state is None:
            state = self.states[partition] = PartitionState(
                partition, self.table.store.rows(partition)
            )
        return state

    def partition(self, partition: int) -> PartitionStats:
        """Stats of ``partition``; empty ones when it has processed nothing."""
        return self.state(partition).stats

    def customer(self, customer_id: str) -> CustomerState | None:
        """The customer's state, if one of the partitions this worker owns knows it.

        Not one known only from its orders (version 0): no event of it arrived.
        """
        for state in self.states.values():
            found = state.customer(customer_id)
            if found is not None and found.version > 0:
                return found
        return None

    def windows(
        self, partition: int, metric: str, first_hour: int, last_hour: int
    ) -> Iterator[tuple[int, HourWindow]]:
        """Stored windows of ``partition`` and ``metric`` with hour starts in the range."""
        state = self.state(partition)
        for hour_start in range(first_hour, last_hour + 1, HOUR):
            window = state.window(metric, hour_start)
            if window is not None:
                yield hour_start, window

    def _keep_only(self, actives: set[int]) -> None:
        """Forget the live state of partitions this worker no longer processes.

        A partition it keeps keeps its state: whatever it holds beyond the
        last checkpoint is also beyond the committed input offset, and is
        written by the next checkpoint or, after a crash, processed again.
        """
        for partition in set(self.states) - actives:
            del self.states[partition]

    def __repr__(self) -> str:
        return f"<Statistics partitions={sorted(self.states)}>"
