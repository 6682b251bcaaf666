"""One Orders service process: the database, the API and (unless disabled) the outbox relay.

:mod:`infrastructure.service_lifecycle` runs the relay beside the API and
stops both; :mod:`infrastructure.outbox_relay` states what the relay
guarantees. The client of the Customer service is closed with the app.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.engine import make_url

from infrastructure.database import Database
from infrastructure.outbox_relay import OutboxRelay, Publisher, RelayState
from infrastructure.service_lifecycle import own_database_and_relay, run_service
from orders_service.api import create_api
from orders_service.customer_directory import CustomerDirectory, CustomerServiceDirectory
from orders_service.migrations import migrate
from orders_service.order_store import OrderStore
from orders_service.outbox import OUTBOX
from orders_service.settings import Settings

logger = logging.getLogger(__name__)

RELAY_CLIENT_ID = "orders-service-relay"


def build_service(
    settings: Settings,
    publisher: Publisher | None = None,
    customers: CustomerDirectory | None = None,
) -> web.Application:
    """The web application with the database, relay and customer check it owns.

    The database is migrated to the latest schema on start. ``publisher``
    replaces the Kafka publisher, ``customers`` the Customer service (tests).
    """
    database = Database(settings.database_url)
    relay = None
    if settings.relay_enabled:
        relay = OutboxRelay(
            database,
            OUTBOX,
            settings,
            (lambda: publisher) if publisher is not None else None,
            client_id=RELAY_CLIENT_ID,
        )
    store = OrderStore(database, on_change=relay.wake if relay else None)
    directory = CustomerServiceDirectory(
        settings.customer_service_url, settings.customer_check_timeout
    )
    app = create_api(
        settings, store, relay.state if relay else RelayState(), customers or directory
    )
    own_database_and_relay(app, database, migrate, relay)

    async def close_directory(_app: web.Application) -> AsyncIterator[None]:
        yield
        await directory.close()

    app.cleanup_ctx.append(close_directory)
    return app


def serve(settings: Settings) -> None:
    """Run the service until SIGINT or SIGTERM."""
    relay_note = f"relay to {settings.broker_url} topic {settings.topic}"
    logger.info(
        "orders service on %s (database %s; customers from %s; %s)",
        settings.base_url,
        make_url(settings.database_url).render_as_string(hide_password=True),
        settings.customer_service_url,
        relay_note if settings.relay_enabled else "relay disabled",
    )
    run_service(build_service(settings), settings.bind, settings.port)
