"""Builds one OLF Faust app with its topics, tables, agents and views.

Tests build a fresh app per test from their own :class:`Settings`; the worker
entry point (:mod:`app.main`) builds one from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faust
from faust.types import AgentT

from agents.customer_events import declare_customer_events_agent
from app.settings import Settings
from app.views import declare_views
from tables.customer_tables import CustomerTables, declare_customer_tables


class OlfApp(faust.App):
    """The Faust app, creating its whole state directory path on first start."""

    async def on_first_start(self) -> None:
        # Faust creates only the last level of datadir; OLF's lives under OLF_DATA_DIR.
        # Blocking is fine here: it runs once, before any stream is consumed.
        Path(self.conf.datadir).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        await super().on_first_start()


@dataclass(frozen=True, slots=True)
class Olf:
    """An OLF app and handles to what it declared."""

    app: faust.App
    customer_events: faust.TopicT
    tables: CustomerTables
    apply_customer_events: AgentT[bytes]


def create_olf(settings: Settings) -> Olf:
    """Declare the app; nothing connects to Kafka until a worker starts it."""
    app = OlfApp(
        settings.app_id,
        broker=settings.broker_url,
        store=settings.store_url,
        datadir=str(settings.data_dir / settings.app_id),
        topic_partitions=settings.topic_partitions,
        web_bind=settings.web_bind,
        web_host=settings.web_host,
        web_port=settings.web_port,
    )
    customer_events = app.topic(
        settings.customer_events_topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
    )
    tables = declare_customer_tables(app, settings.topic_partitions)
    agent = declare_customer_events_agent(app, customer_events, tables)
    declare_views(app, tables)
    return Olf(
        app=app,
        customer_events=customer_events,
        tables=tables,
        apply_customer_events=agent,
    )
