"""A service's own database: an async SQLAlchemy engine and its two kinds of transaction.

Each microservice (the Customer and the Orders service) keeps its data this
way, each in a database of its own. SQLite (the default) or PostgreSQL, chosen
by the URL alone. Writes to one row are serialized: on PostgreSQL by the
caller's ``SELECT ... FOR UPDATE`` on that row, on SQLite by starting every
write transaction with ``BEGIN IMMEDIATE`` (one writer at a time; others wait
up to the busy timeout instead of failing). Reads start a plain deferred
``BEGIN``, which in WAL mode never waits for a writer.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

# Execution option that marks a connection's transactions as read-only.
_READ_ONLY: Final = "olf_service_read_only"
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
#: Seconds between attempts to switch a database that another connection is switching to WAL.
WAL_SWITCH_RETRY: Final = 0.01


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so values go in as naive UTC there; PostgreSQL
    stores ``timestamptz``. Either way the code only ever sees aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        in_utc = value.astimezone(UTC)
        return in_utc.replace(tzinfo=None) if dialect.name == "sqlite" else in_utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Database:
    """One engine and the transactions the service uses; :meth:`close` releases it."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url)
        if self.is_sqlite:
            _use_explicit_sqlite_transactions(self.engine)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; committed when the block ends without error."""
        async with self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction: one consistent snapshot, never blocking writers."""
        async with self.engine.connect() as connection:
            reading = await connection.execution_options(**{_READ_ONLY: True})
            async with reading.begin():
                yield reading

    async def close(self) -> None:
        await self.engine.dispose()


def _use_wal(cursor: Any) -> None:
    """Switch the database to WAL mode, waiting for a connection doing the same.

    The switch needs an exclusive lock and SQLite does not call the busy
    handler for it: two connections opening a new database at once (two
    processes migrating it) failed at once with "database is locked". Once
    the file is in WAL mode, asking again takes no lock.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_RETRY)


def _use_explicit_sqlite_transactions(engine: AsyncEngine) -> None:
    # Python's sqlite3 starts transactions lazily, at the first write, so a
    # read-then-write transaction could see a row another writer changes
    # before it writes. SQLAlchemy's documented recipe: turn that off and
    # emit BEGIN ourselves.
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)  # readers and one writer at once
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
