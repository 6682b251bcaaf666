"""Builds one OLF Faust app with its topics, table, agent and views.

Tests build a fresh app per test from their own :class:`Settings`; the worker
entry point (:mod:`app.main`) builds one from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faust
from faust.types import AgentT, TopicT
from faust.types.transports import ProducerT

from agents.customer_events import declare_customer_events_agent
from agents.dead_letters import DeadLetters, KafkaDeadLetters
from app.cluster import Cluster
from app.http_policy import cors_options
from app.local_state import discard_unless_clean, mark_clean_shutdown
from app.log_format import logging_config
from app.metrics import declare_metrics
from app.producer_buffer import DrainingProducerBuffer
from app.recovery import SeekFirstTableManager
from app.settings import Settings
from app.topics import ensure_topics
from app.views import declare_views
from app.web_server import declare_web_server
from tables.statistics import Statistics, declare_statistics_table


class OlfApp(faust.App):
    """The Faust app, guarding its local state directory across restarts."""

    #: Topics OLF reads or writes and creates if missing (set by create_olf).
    own_topics: tuple[TopicT, ...] = ()

    async def on_first_start(self) -> None:
        # Blocking file work is fine here: it runs once, before any table is
        # opened or any stream consumed.
        # Faust creates only the last level of datadir; OLF's lives under OLF_DATA_DIR.
        Path(self.conf.datadir).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        discard_unless_clean(Path(self.conf.appdir), Path(self.conf.tabledir))
        if self.own_topics:
            await ensure_topics(
                self.conf.broker,
                [name for topic in self.own_topics for name in topic.topics],
                self.conf.topic_partitions,
                self.conf.topic_replication_factor,
            )
        await super().on_first_start()

    def _new_producer(self) -> ProducerT:
        producer = super()._new_producer()
        # Replaced before the producer starts, which is when it adds its buffer
        # as a dependency (see app.producer_buffer for the bug this avoids).
        buffer = DrainingProducerBuffer(loop=producer.loop, beacon=producer.beacon)
        buffer.app = self
        producer.buffer = buffer
        return producer

    async def on_shutdown(self) -> None:
        await super().on_shutdown()
        # Reached after the tables closed and the producer flushed its changelog
        # writes; a crash or kill never gets here, so the marker is never stale.
        if not self._crashed.is_set():
            mark_clean_shutdown(Path(self.conf.appdir))


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
        web_cors_options=cors_options(settings.cors_origin_list),
        # Faust's /table and /router views would serve table rows and the cluster's
        # layout; OLF answers only through its own documented API.
        web_tables_enabled=False,
        web_router_enabled=False,
        table_standby_replicas=settings.standby_replicas,
        # Resumes the input only after seeking it back (see app.recovery).
        TableManager=SeekFirstTableManager,
        # How soon a worker that died without leaving (kill -9) loses its
        # partitions to the others; Faust's default of 60 s stalls them that long.
        broker_session_timeout=settings.broker_session_timeout,
        logging_config=logging_config(settings.log_format),
    )
    customer_events = raw_topic(app, settings.customer_events_topic, settings.topic_partitions)
    dead_letter_topic = raw_topic(
        app, dead_letter_topic_name(settings.customer_events_topic), settings.topic_partitions
    )
    app.own_topics = (customer_events, dead_letter_topic)
    statistics = Statistics(declare_statistics_table(app, settings.topic_partitions))
    agent = declare_customer_events_agent(
        app, customer_events, statistics, dead_letters or KafkaDeadLetters(dead_letter_topic)
    )
    cluster = Cluster(app, statistics, settings.customer_events_topic, settings.topic_partitions)
    declare_views(app, cluster)
    declare_metrics(app, cluster)
    declare_web_server(app, cluster)
    return Olf(
        app=app,
        customer_events=customer_events,
        dead_letter_topic=dead_letter_topic,
        statistics=statistics,
        cluster=cluster,
        apply_customer_events=agent,
    )
