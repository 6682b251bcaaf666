"""Builds one OLF Faust app with its topics, table, agent and views.

Tests build a fresh app per test from their own :class:`Settings`; the worker
entry point (:mod:`app.main`) builds one from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faust
from faust.types import AgentT, TopicT

from agents.customer_events import declare_customer_events_agent
from agents.dead_letters import DeadLetters, KafkaDeadLetters
from app.cluster import Cluster
from app.settings import Settings
from app.views import declare_views
from tables.statistics import Statistics, declare_statistics_table


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
    customer_events: TopicT
    dead_letter_topic: TopicT
    statistics: Statistics
    cluster: Cluster
    apply_customer_events: AgentT[bytes]


def dead_letter_topic_name(events_topic: str) -> str:
    """The dead-letter topic of an input topic: ``customer-events-dlq``."""
    return f"{events_topic}-dlq"


def raw_topic(app: faust.App, name: str, partitions: int) -> TopicT:
    """A topic of plain bytes, created at start-up if missing.

    Bytes: OLF parses and validates messages itself, so a malformed one
    reaches the agent (and the dead-letter topic) instead of being dropped by
    Faust's decoder. Created: a worker started before any producer finds its
    topics with the right number of partitions instead of waiting for them.
    """
    return app.topic(
        name,
        internal=True,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def create_olf(settings: Settings, dead_letters: DeadLetters | None = None) -> Olf:
    """Declare the app; nothing connects to Kafka until a worker starts it.

    ``dead_letters`` replaces the dead-letter topic (unit tests record them).
    """
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
    customer_events = raw_topic(app, settings.customer_events_topic, settings.topic_partitions)
    dead_letter_topic = raw_topic(
        app, dead_letter_topic_name(settings.customer_events_topic), settings.topic_partitions
    )
    statistics = Statistics(declare_statistics_table(app, settings.topic_partitions))
    agent = declare_customer_events_agent(
        app, customer_events, statistics, dead_letters or KafkaDeadLetters(dead_letter_topic)
    )
    cluster = Cluster(app, statistics, settings.customer_events_topic, settings.topic_partitions)
    declare_views(app, cluster)
    return Olf(
        app=app,
        customer_events=customer_events,
        dead_letter_topic=dead_letter_topic,
        statistics=statistics,
        cluster=cluster,
        apply_customer_events=agent,
    )
