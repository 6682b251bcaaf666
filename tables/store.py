"""The statistics table's Faust store: each partition's rows, written only in whole batches.

Faust's own stores write a row locally as soon as an agent sets it, and to the
changelog a little later, so after a crash the local state may be ahead of
the changelog. This store is written in two ways only, each one atomic write
batch per partition that also records the changelog offset it reaches:

* :meth:`StatisticsStore.write_checkpoint`, after the changelog acknowledged a
  checkpoint's messages (see :mod:`tables.checkpoint`);
* :meth:`StatisticsStore.apply_changelog_records`, when restoring or keeping
  a standby copy from the changelog, a fetched batch of records at a time.

Local rows are therefore never ahead of the changelog, and a restarted worker
(even after ``kill -9``) keeps them and reads only the changelog's tail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from faust.stores.base import Store
from faust.types import TP, EventT
from yarl import URL

from models.message_batch import KafkaRecord
from models.partition_stats import UnknownRowFormat
from tables.partition_rows import (
    MemoryRows,
    PartitionRows,
    RocksOptions,
    RocksRows,
    remove_rows,
)
from tables.rows import STATS_KEY, Row, expand_checkpoint

log = logging.getLogger(__name__)

#: Key prefix of the per-partition stats rows OLF 0.1 wrote, one per event.
OLF_0_1_STATS_PREFIX = b"partition/"


class StatisticsStore(Store[bytes, bytes]):
    """Rows per partition, in RocksDB (``rocksdb://``) or in memory (``memory://``)."""

    def __init__(self, url: str | URL, app: Any, table: Any, **kwargs: Any) -> None:
        super().__init__(url, app, table, **kwargs)
        self.durable = URL(url).scheme == "rocksdb"
        self._rocks = RocksOptions() if self.durable else None
        self._partitions: dict[int, PartitionRows] = {}
        #: Called with the active partitions each time recovery completes.
        self.on_actives_ready: list[Callable[[set[int]], None]] = []

    def rows(self, partition: int) -> PartitionRows:
        """The rows of ``partition`` on this worker, opened on first use."""
        rows = self._partitions.get(partition)
        if rows is None:
            if self._rocks is not None:
                rows = RocksRows(self.partition_path(partition), self._rocks.options())
            else:
                rows = MemoryRows()
            self._partitions[partition] = rows
        return rows

    def partition_path(self, partition: int) -> Path:
        return Path(self.app.conf.tabledir) / f"{self.table_name}-{partition}.db"

    def write_checkpoint(self, partition: int, rows: Iterable[Row], changelog_offset: int) -> bool:
        """Store a checkpoint's rows once the changelog holds them up to ``changelog_offset``.

        Returns False (and stores nothing) when the partition left this worker
        meanwhile: its next owner restores the rows from the changelog.
        """
        stored = self._partitions.get(partition)
        if stored is None:
            return False
        stored.write(rows, changelog_offset)
        return True

    def apply_changelog_records(self, partition: int, records: Sequence[KafkaRecord]) -> int:
        """Apply changelog records of ``partition`` in offset order; return the rows written.

        A checkpoint record (key ``stats``) stands for every row of its
        checkpoint, so whatever prefix of the changelog has been applied is
        the state after a whole checkpoint.
        """
        changes: list[Row] = []
        for record in records:
            if record.key is None:
                raise ValueError(f"changelog record at offset {record.offset} has no key")
            if record.key == STATS_KEY and record.value is not None:
                changes.extend(expand_checkpoint(record.value))
            elif record.key.startswith(OLF_0_1_STATS_PREFIX):
                raise UnknownRowFormat(
                    f"the changelog of partition {partition} was written by OLF 0.1 (one message"
                    " per event and row); this OLF cannot read it: start it with a new"
                    " OLF_APP_ID (or `make clean` on a laptop)"
                )
            else:
                changes.append((record.key, record.value))
        if records:
            self.rows(partition).write(changes, records[-1].offset)
        return len(changes)

    # Faust's store interface

    def persisted_offset(self, tp: TP) -> int | None:
        return self.rows(tp.partition).changelog_offset()

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        self.rows(tp.partition).write((), offset)

    async def need_active_standby_for(self, tp: TP) -> bool:
        return True

    def apply_changelog_batch(
        self,
        batch: Iterable[EventT[Any]],
        to_key: Callable[[Any], Any],
        to_value: Callable[[Any], Any],
    ) -> None:
        """Faust's path for changelog events (OLF's consumer delivers whole fetches instead)."""
        by_partition: dict[int, list[KafkaRecord]] = {}
        for event in batch:
            by_partition.setdefault(event.message.partition, []).append(event.message)
        for partition, records in by_partition.items():
            self.apply_changelog_records(partition, records)

    async def on_rebalance(
        self,
        assigned: set[TP],
        revoked: set[TP],
        newly_assigned: set[TP],
        generation_id: int = 0,
    ) -> None:
        kept = {tp.partition for tp in assigned if tp.topic in self.table.changelog_topic.topics}
        for tp in revoked:
            if tp.topic in self.table.changelog_topic.topics and tp.partition not in kept:
                self._close(tp.partition)

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        actives = {tp.partition for tp in active_tps}
        for listener in self.on_actives_ready:
            listener(actives)

    def close(self) -> None:
        """Close every partition's rows (RocksDB releases its files)."""
        for partition in list(self._partitions):
            self._close(partition)

    async def stop(self) -> None:
        self.close()
        await super().stop()

    def reset_state(self) -> None:
        """Delete this worker's copy of every partition (the changelog is untouched)."""
        self.close()
        if self.durable:
            for path in Path(self.app.conf.tabledir).glob(f"{self.table_name}-*.db"):
                remove_rows(path)

    async def backup_partition(
        self, tp: TP | int, flush: bool = True, purge: bool = False, keep: int = 1
    ) -> None:
        raise NotImplementedError("the changelog is the backup of the statistics table")

    def restore_backup(self, tp: TP | int, latest: bool = True, backup_id: int = 0) -> None:
        raise NotImplementedError("the changelog is the backup of the statistics table")

    def _close(self, partition: int) -> None:
        rows = self._partitions.pop(partition, None)
        if rows is not None:
            rows.close()
