"""What the services' command lines share: exit codes, and running a command until a signal.

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
from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

from infrastructure.environment import SettingsError

EXIT_OK: Final = 0
EXIT_DRIFT: Final = 1
EXIT_FAILED: Final = 2

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
