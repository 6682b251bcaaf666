"""One service process: its database migrated at start, its outbox relay beside the API.

The relay runs as a task in the API's process so that a committed change
wakes it at once; it also polls, so events written by another process are
published too. Stopping the process (SIGINT or SIGTERM) lets the relay finish
its round, within :data:`RELAY_STOP_TIMEOUT`, and closes the database; a kill
is safe too (see :mod:`infrastructure.outbox_relay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

from aiohttp import web

from infrastructure.database import Database
from infrastructure.outbox_relay import OutboxRelay

logger = logging.getLogger(__name__)

#: Seconds the relay has to finish its round when the process stops.
RELAY_STOP_TIMEOUT: Final = 10.0


def own_database_and_relay(
    app: web.Application,
    database: Database,
    migrate: Callable[[Database], Awaitable[list[int]]],
    relay: OutboxRelay | None,
) -> None:
    """Make ``app`` migrate ``database`` and start ``relay`` on start, and stop both on cleanup."""

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        applied = await migrate(database)
        if applied:
            logger.info("database migrated: applied %s", applied)
        task = asyncio.create_task(relay.run(), name="outbox-relay") if relay else None
        try:
            yield
        finally:
            if relay is not None and task is not None:
                relay.stop()
                try:
                    await asyncio.wait_for(task, RELAY_STOP_TIMEOUT)
                except TimeoutError:
                    logger.warning("the relay did not stop in %.0fs; cancelled", RELAY_STOP_TIMEOUT)
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await database.close()

    app.cleanup_ctx.append(lifecycle)


def run_service(app: web.Application, host: str, port: int) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, giving the relay its time to stop."""
    web.run_app(
        app, host=host, port=port, print=None, access_log=None, shutdown_timeout=RELAY_STOP_TIMEOUT
    )
