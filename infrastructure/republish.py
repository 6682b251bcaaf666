"""Republishing: a snapshot of each row a service owns, appended to its outbox in batches.

Both services republish this way (``customer_service/republish.py``,
``orders_service/republish.py``; each says what its snapshot restates and
why writing them while the service runs is safe). Rows are taken in key
order, ``batch_size`` at a time, each batch in one write transaction that
reads the rows and appends their snapshots: the outbox is never without the
snapshots of a batch it read, and an interrupted run leaves whole batches.
The relay then publishes them like any other pending row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Row, Table, func, insert, select, true

from infrastructure.database import Database

DEFAULT_BATCH_SIZE: Final = 500

#: Called after each batch with (rows republished so far, rows selected).
Progress = Callable[[int, int], None]

#: The outbox row of one row's snapshot, taken at the given moment.
SnapshotRow = Callable[[Row[Any], datetime], dict[str, object]]


async def republish_rows(
    database: Database,
    table: Table,
    key_column: str,
    outbox: Table,
    snapshot_row: SnapshotRow,
    *,
    selected: ColumnElement[bool] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
) -> int:
    """Append ``snapshot_row`` of each selected row of ``table`` to ``outbox``; return how many.

    ``key_column`` must be unique (the primary key): the rows are taken in
    its order. ``selected`` None takes every row.

    Raises:
        ValueError: ``batch_size`` < 1.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    where = true() if selected is None else selected
    key = table.c[key_column]
    async with database.read() as connection:
        total = int(
            await connection.scalar(select(func.count()).select_from(table).where(where)) or 0
        )
    written = 0
    after: Any = None
    while True:
        query = select(table).where(where)
        if after is not None:
            query = query.where(key > after)
        query = query.order_by(key).limit(batch_size)
        async with database.write() as connection:
            rows = (await connection.execute(query)).all()
            if not rows:
                break
            taken_at = datetime.now(UTC)
            await connection.execute(insert(outbox), [snapshot_row(row, taken_at) for row in rows])
        written += len(rows)
        after = rows[-1]._mapping[key_column]
        if on_progress is not None:
            # Rows created meanwhile may be selected too: never report above 100%.
            on_progress(written, max(total, written))
    return written
