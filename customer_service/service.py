"""One Customer service process: the database, the API and (unless disabled) the outbox relay.

The relay runs as a task beside the API so that a committed change wakes it
at once; it also polls, so changes written by another process are published
too. Stopping the process (SIGINT or SIGTERM) lets the relay finish its round
and closes the database; a kill is safe too (see ``customer_service.relay``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Final

from aiohttp import web
from sqlalchemy.engine import make_url

from customer_service.api import create_api
from customer_service.customer_store import CustomerStore
from customer_service.database import Database
from customer_service.migrations import migrate
from customer_service.relay import OutboxRelay, Publisher, RelayState
from customer_service.settings import Settings

logger = logging.getLogger(__name__)

RELAY_STOP_TIMEOUT: Final = 10.0


def build_service(settings: Settings, publisher: Publisher | None = None) -> web.Application:
    """The web application with the database and relay it owns, started and stopped with it.

    The database is migrated to the latest schema on start. ``publisher``
    replaces the Kafka publisher (tests of the relay without a broker).
    """
    database = Database(settings.database_url)
    relay = None
    if settings.relay_enabled:
        relay = OutboxRelay(
            database, settings, (lambda: publisher) if publisher is not None else None
        )
    store = CustomerStore(database, on_change=relay.wake if relay else None)
    app = create_api(settings, store, relay.state if relay else RelayState())

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
    return app


def serve(settings: Settings) -> None:
    """Run the service until SIGINT or SIGTERM."""
    relay_note = f"relay to {settings.broker_url} topic {settings.topic}"
    logger.info(
        "customer service on %s (database %s; %s)",
        settings.base_url,
        make_url(settings.database_url).render_as_string(hide_password=True),
        relay_note if settings.relay_enabled else "relay disabled",
    )
    web.run_app(
        build_service(settings),
        host=settings.bind,
        port=settings.port,
        print=None,
        access_log=None,
        shutdown_timeout=RELAY_STOP_TIMEOUT,
    )
