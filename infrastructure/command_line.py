"""What the services' command lines share: exit codes, signals, the schema check, progress.

Exit codes, the same for every command of both services: 0 success; 1 the
command found drift (``reconcile``); 2 it could not do its work (bad
settings, no database, OLF unreachable, no quiet moment, interrupted by
Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

from infrastructure.database import Database
from infrastructure.environment import SettingsError
from infrastructure.migrations import current_version

EXIT_OK: Final = 0
EXIT_DRIFT: Final = 1
EXIT_FAILED: Final = 2

#: Seconds between two progress lines of a long command. Not Final: read at each
#: call, so a test can make every batch print a line.
PROGRESS_INTERVAL: float = 2.0

T = TypeVar("T")


def start(service: str, load_settings: Callable[[], T]) -> T | None:
    """Set up a command's logging and load its settings; None (after saying why) if they are bad."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"{service}: {exc}", file=sys.stderr)
        return None


def run_until_signalled(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; SIGTERM cancels it like Ctrl-C does, so its cleanup still runs.

    Raises:
        KeyboardInterrupt, asyncio.CancelledError: Ctrl-C or SIGTERM ended it.
    """

    async def guarded() -> T:
        task = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await task
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    return asyncio.run(guarded())


async def schema_is_current(
    database: Database, latest_version: int, command: str, database_variable: str
) -> bool:
    """Whether ``database`` has this code's schema (``latest_version``); says what to check if not.

    A command other than ``migrate`` refuses a database at another version:
    an unmigrated one, or the wrong database (``database_variable`` names
    the setting to check).
    """
    version = await current_version(database)
    if version == latest_version:
        return True
    print(
        f"{command}: the database is at schema version {version}, "
        f"not {latest_version}: is {database_variable} right?",
        file=sys.stderr,
    )
    return False


def progress_lines(command: str, things: str) -> Callable[[int, int], None]:
    """A callback for (done, total) that prints ``republish: 120/500 customers (24%, 61/s)``.

    At most one line every :data:`PROGRESS_INTERVAL` seconds, and always the
    last one (done == total); the rate counts from when this was called.
    """
    started = last = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done < total and now - last < PROGRESS_INTERVAL:
            return
        last = now
        rate = done / max(now - started, 1e-3)
        percent = done * 100 // max(total, 1)
        print(f"{command}: {done}/{total} {things} ({percent}%, {rate:.0f}/s)", flush=True)

    return progress
