"""Where one partition's rows live on this worker: RocksDB (durable) or a dict.

A write is one atomic batch of rows together with the offset of the last
changelog message it covers, so the offset never runs ahead of the rows nor
the rows ahead of the offset.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Final, Protocol

import rocksdict

from tables.rows import Row

#: Where the offset of the last changelog message applied is kept, among the rows.
CHANGELOG_OFFSET_KEY: Final = b"\x00olf/changelog-offset"

#: RocksDB memory, shared by all partitions of a worker, so that it does not
#: grow with the number of partitions or customers: the block cache for reads,
#: and the memtables that buffer writes before they reach disk.
BLOCK_CACHE_BYTES: Final = 64 << 20
MEMTABLE_BYTES: Final = 64 << 20


class PartitionRows(Protocol):
    """The rows of one partition on this worker."""

    def get(self, key: bytes) -> bytes | None: ...

    def write(self, rows: Iterable[Row], changelog_offset: int | None) -> None:
        """Put (or, for a None value, delete) ``rows`` and set the offset, atomically."""

    def changelog_offset(self) -> int | None:
        """Offset of the last changelog message these rows include; None: none yet."""

    def close(self) -> None: ...


class MemoryRows:
    """Rows in a dict: lost when the worker stops, restored from the changelog."""

    def __init__(self) -> None:
        self.rows: dict[bytes, bytes] = {}
        self.offset: int | None = None

    def get(self, key: bytes) -> bytes | None:
        return self.rows.get(key)

    def write(self, rows: Iterable[Row], changelog_offset: int | None) -> None:
        for key, value in rows:
            if value is None:
                self.rows.pop(key, None)
            else:
                self.rows[key] = value
        if changelog_offset is not None:
            self.offset = changelog_offset

    def changelog_offset(self) -> int | None:
        return self.offset

    def close(self) -> None:
        pass


class RocksRows:
    """Rows in a RocksDB database of their own; every write is one write batch."""

    def __init__(self, path: Path, options: rocksdict.Options) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = rocksdict.Rdict(str(path), options)

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self.db.get(key)
        return value

    def write(self, rows: Iterable[Row], changelog_offset: int | None) -> None:
        batch = rocksdict.WriteBatch(raw_mode=True)
        for key, value in rows:
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        if changelog_offset is not None:
            batch.put(CHANGELOG_OFFSET_KEY, str(changelog_offset).encode())
        self.db.write(batch)

    def changelog_offset(self) -> int | None:
        raw = self.db.get(CHANGELOG_OFFSET_KEY)
        return None if raw is None else int(raw)

    def close(self) -> None:
        self.db.close()


class RocksOptions:
    """The options of every partition's database, sharing one cache and memtable budget."""

    def __init__(self) -> None:
        self.block_cache = rocksdict.Cache(BLOCK_CACHE_BYTES)
        self.memtables = rocksdict.WriteBufferManager(MEMTABLE_BYTES, False)

    def options(self) -> rocksdict.Options:
        options = rocksdict.Options(raw_mode=True)
        options.create_if_missing(True)
        options.set_write_buffer_size(MEMTABLE_BYTES // 8)
        options.set_max_write_buffer_number(2)
        options.set_write_buffer_manager(self.memtables)
        table = rocksdict.BlockBasedOptions()
        table.set_block_cache(self.block_cache)
        table.set_bloom_filter(10, False)
        options.set_block_based_table_factory(table)
        return options


def remove_rows(path: Path) -> None:
    """Delete a closed partition's database directory, if any."""
    shutil.rmtree(path, ignore_errors=True)
