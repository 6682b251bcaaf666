"""Row keys of the statistics table, and the checkpoint record that carries a batch of rows.

Each input partition has its own rows, stored and changelogged per partition:

* ``stats`` → :class:`~models.partition_stats.PartitionStats`,
* ``customer/<customer_id>`` → :class:`~models.customer_state.CustomerState`,
* ``order/["<customer_id>","<order_id>"]`` → :class:`~models.order_state.OrderState`,
* ``window/<metric>/<hour start>`` → :class:`~models.event_window.HourWindow`.

A checkpoint writes a partition's changed rows to the changelog as one
*checkpoint record* under the ``stats`` key (the stats plus, under ``rows``,
every row the checkpoint changed), followed by each changed row on its own
message. The record makes the checkpoint atomic: whoever reads the changelog
applies its rows when it reads the record, so any prefix of the changelog
yields the state after a whole checkpoint (see :mod:`tables.checkpoint`). The
rows on their own messages are what compaction keeps once the next record
replaces this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import orjson

from models.json_rows import dump_row
from models.partition_stats import ROW_FORMAT, PartitionStats

STATS_KEY: Final = b"stats"
CUSTOMER_PREFIX: Final = b"customer/"
WINDOW_PREFIX: Final = b"window/"
ORDER_PREFIX: Final = b"order/"

#: A row change: its key and its new value, or None when the row is deleted.
Row = tuple[bytes, bytes | None]


def customer_key(customer_id: str) -> bytes:
    return CUSTOMER_PREFIX + customer_id.encode()


def order_key(customer_id: str, order_id: str) -> bytes:
    # JSON, since ids may hold any character, "/" too.
    return ORDER_PREFIX + orjson.dumps([customer_id, order_id])


def window_key(metric: str, hour_start: int) -> bytes:
    return WINDOW_PREFIX + f"{metric}/{hour_start}".encode()


def encode_checkpoint(stats: PartitionStats, rows: Iterable[Row]) -> bytes:
    """The checkpoint record of ``stats`` and the rows changed with it."""
    document = stats.to_json()
    document["format"] = ROW_FORMAT
    document["rows"] = [
        [key.decode(), None if value is None else orjson.Fragment(value)] for key, value in rows
    ]
    return dump_row(document)


def expand_checkpoint(record: bytes) -> list[Row]:
    """Every row a checkpoint record stands for: its changed rows, then ``stats``.

    Raises:
        UnknownRowFormat: the record was written in another row layout.
    """
    document = orjson.loads(record)
    rows: list[Row] = [
        (key.encode(), None if value is None else dump_row(value))
        for key, value in document.pop("rows", ())
    ]
    rows.append((STATS_KEY, PartitionStats.from_row(document).encode()))
    return rows
