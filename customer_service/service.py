"""One Customer service process: the database, the API and (unless disabled) the outbox relay.

:mod:`infrastructure.service_lifecycle` runs the relay beside the API and
stops both; :mod:`infrastructure.outbox_relay` states what the relay guarantees.
"""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy.engine import make_url

from customer_service.api import create_api
from customer_service.customer_store import CustomerStore
from customer_service.migrations import migrate
from customer_service.outbox import OUTBOX
from customer_service.settings import Settings
from infrastructure.database import Database
from infrastructure.outbox_relay import OutboxRelay, Publisher, RelayState
from infrastructure.service_lifecycle import own_database_and_relay, run_service

logger = logging.getLogger(__name__)

RELAY_CLIENT_ID = "customer-service-relay"


def build_service(settings: Settings, publisher: Publisher | None = None) -> web.Application:
    """The web application with the database and relay it owns, started and stopped with it.

    The database is migrated to the latest schema on start. ``publisher``
    replaces the Kafka publisher (tests of the relay without a broker).
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
    store = CustomerStore(database, on_change=relay.wake if relay else None)
    app = create_api(settings, store, relay.state if relay else RelayState())
    own_database_and_relay(app, database, migrate, relay)
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
    run_service(build_service(settings), settings.bind, settings.port)
