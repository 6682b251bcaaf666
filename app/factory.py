"""Builds one OLF Faust app with its topics, table, agent and views.

Tests build a fresh app per test from their own :class:`Settings`; the worker
entry point (:mod:`app.main`) builds one from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faust
from faust.types import AgentT, TopicT
from faust.types.transports import ConsumerT, ProducerT

from agents.dead_letters import DeadLetters, KafkaDeadLetters, dead_letter_topic_name
from agents.event_batches import declare_events_agent
from app.log_format import logging_config
from app.publishing.statistics_topic import (
    StatisticsPublisher,
    declare_statistics_publisher,
    statistics_topic_spec,
)
from app.queries.cluster import Cluster
from app.queries.merged_view import MergedView, keep_merged_view
from app.settings import Settings, SettingsError, env_var_name
from app.stop_deadline import arm_stop_deadline
from app.web.api import declare_views
from app.web.http_policy import cors_options
from app.web.internal_auth import install_internal_auth
from app.web.metrics import declare_metrics
from app.web.server import declare_web_server
from app.workarounds.batch_delivery import BatchingConsumer
from app.workarounds.producer_buffer import DrainingProducerBuffer
from app.workarounds.recovery import SeekFirstTableManager
from app.workarounds.topics import (
    NotEnoughBrokers,
    TopicSpec,
    WrongPartitionCount,
    ensure_topics,
    faust_leader_topic,
)
from infrastructure.broker_url import SCHEME, bootstrap_servers
from models.message_batch import BatchReceipt, MessageBatch
from tables.checkpoint import ChangelogWriter, Checkpointer
from tables.durable_producer import DurableProducer
from tables.statistics import Statistics, declare_statistics_table

#: A partition with this many changed rows is checkpointed at once, so that
#: its checkpoint record (which carries them all) stays a few MiB at most.
CHECKPOINT_MAX_ROWS = 20_000
#: Bytes fetched per partition and request (see create_olf).
FETCH_BYTES_PER_PARTITION = 4 << 20
#: Batches that may wait for the agent. Faust's default, 4,096 items, meant
#: hundreds of thousands of fetched messages in memory while the agent caught up.
WAITING_BATCHES = 4
#: Largest changelog message the changelog topic accepts (a checkpoint record).
CHANGELOG_MAX_MESSAGE_BYTES = 8 << 20


class OlfApp(faust.App):
    """The Faust app, with OLF's consumer, checkpoints and topic creation."""

    #: The brokers' ``host:port``, as Faust and OLF's own clients reach them (set by create_olf).
    servers: tuple[str, ...] = ()
    #: Topics OLF reads or writes and creates if missing (set by create_olf).
    own_topics: tuple[TopicSpec, ...] = ()
    #: Makes the statistics durable before each commit (set by create_olf).
    checkpointer: Checkpointer | None = None
    #: OLF's own producers (checkpoints, dead letters, statistics), started and stopped
    #: with the app.
    durable_producers: tuple[DurableProducer, ...] = ()
    #: Seconds a stopping worker may take before it exits anyway (set by create_olf).
    stop_timeout: float = 30.0

    async def on_first_start(self) -> None:
        # Faust creates only the last level of datadir; OLF's lives under OLF_DATA_DIR.
        Path(self.conf.datadir).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        if self.own_topics:
            replication = self.conf.topic_replication_factor
            try:
                await ensure_topics(self.servers, self.own_topics, replication)
            except NotEnoughBrokers as exc:
                name = env_var_name("topic_replication_factor")
                raise SettingsError(f"{name}={replication} is too large: {exc}") from None
            except WrongPartitionCount as exc:
                name = env_var_name("topic_partitions")
                raise SettingsError(
                    f"{name}={self.conf.topic_partitions} does not fit: {exc}"
                ) from None
        for producer in self.durable_producers:
            await producer.start()
        await super().on_first_start()

    def _new_consumer(self) -> ConsumerT:
        consumer = BatchingConsumer(
            self.transport,
            callback=self.topics.on_message,
            on_partitions_revoked=self._on_partitions_revoked,
            on_partitions_assigned=self._on_partitions_assigned,
            beacon=self.beacon,
            loop=self.transport.loop,
        )
        if self.checkpointer is not None:
            consumer.before_commit = self.checkpointer.checkpoint
        return consumer

    def _new_producer(self) -> ProducerT:
        producer = super()._new_producer()
        # Replaced before the producer starts, which is when it adds its buffer
        # as a dependency (see app.workarounds.producer_buffer for the bug this avoids).
        buffer = DrainingProducerBuffer(loop=producer.loop, beacon=producer.beacon)
        buffer.app = self
        producer.buffer = buffer
        return producer

    async def on_stop(self) -> None:
        # First thing, before Faust stops the consumer, whose thread can hang
        # (see app.stop_deadline). Only in a worker process: the deadline ends the
        # whole process, and a test process outlives the apps it stops.
        if self.in_worker:
            arm_stop_deadline(self.stop_timeout)
        await super().on_stop()

    async def on_shutdown(self) -> None:
        await super().on_shutdown()
        # After the consumer's last commit, which ran the last checkpoint.
        for producer in self.durable_producers:
            await producer.stop()


@dataclass(frozen=True, slots=True)
class Olf:
    """An OLF app and handles to what it declared."""

    app: faust.App
    statistics: Statistics
    cluster: Cluster
    view: MergedView
    apply_events: AgentT[MessageBatch]
    statistics_publisher: StatisticsPublisher


def raw_topic(
    app: faust.App, names: tuple[str, ...], partitions: int, maxsize: int | None = None
) -> TopicT:
    """Topics of plain bytes, read as one by a stream, created at start-up if missing.

    Bytes: OLF parses and validates messages itself, so a malformed one
    reaches the agent (and the dead-letter topic) instead of being dropped by
    Faust's decoder. Created: a worker started before any producer finds its
    topics with the right number of partitions instead of waiting for them.
    ``maxsize``: how many items a stream reading it may have waiting.
    """
    return app.topic(
        *names,
        maxsize=maxsize,
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
    servers = bootstrap_servers(settings.broker_url)
    app = OlfApp(
        settings.app_id,
        # The servers parsed once, so Faust's clients and OLF's own reach the same ones.
        broker=[f"{SCHEME}{server}" for server in servers],
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
        # Every topic Faust or OLF creates (see app.workarounds.topics).
        topic_replication_factor=settings.topic_replication_factor,
        # Resumes the input only after seeking it back (see app.workarounds.recovery).
        TableManager=SeekFirstTableManager,
        # How soon a worker that died without leaving (kill -9) loses its
        # partitions to the others; Faust's default of 60 s stalls them that long.
        broker_session_timeout=settings.broker_session_timeout,
        # Heartbeats every tenth of the session (Faust: every 3 s), so a killed
        # worker is noticed within 90-100% of the session timeout, not 70-100%.
        broker_heartbeat_interval=min(3.0, settings.broker_session_timeout / 10),
        # Each commit is preceded by a checkpoint (see tables.checkpoint).
        broker_commit_interval=settings.checkpoint_interval,
        broker_max_poll_records=settings.batch_size,
        # aiokafka sends no fetch to a broker while data it fetched for any of
        # that broker's partitions is still unconsumed (for 100 ms), so each
        # fetch round trip idles the worker. With 1 MiB per partition (Faust's
        # default), two workers sharing a broker were idle half the time and
        # together no faster than one; 4 MiB keeps them busy.
        consumer_max_fetch_size=FETCH_BYTES_PER_PARTITION,
        logging_config=logging_config(settings.log_format),
    )
    # Co-partitioned (same key, same partition count), so Faust assigns
    # partition p of both to the same worker, which the join needs.
    inputs = (settings.customer_events_topic, settings.order_events_topic)
    events = raw_topic(app, inputs, settings.topic_partitions, maxsize=WAITING_BATCHES)
    table = declare_statistics_table(
        app, settings.topic_partitions, max_message_bytes=CHANGELOG_MAX_MESSAGE_BYTES
    )
    changelog = table.changelog_topic
    # Every producer of OLF's waits for all in-sync replicas (acks=all): this
    # many, or the broker refuses the write (see app.workarounds.topics).
    in_sync = {"min.insync.replicas": str(settings.topic_min_insync_replicas)}
    app.own_topics = (
        *(
            TopicSpec(topic, settings.topic_partitions, in_sync, co_partitioned=True)
            for topic in inputs
        ),
        *(
            TopicSpec(dead_letter_topic_name(topic), settings.topic_partitions, in_sync)
            for topic in inputs
        ),
        # With Faust's configuration: it would otherwise create it just before joining.
        TopicSpec(
            changelog.get_topic_name(),
            settings.topic_partitions,
            {"cleanup.policy": "compact", **table.extra_topic_configs, **in_sync},
            co_partitioned=True,
        ),
        # Faust's own, which it would create without min.insync.replicas.
        TopicSpec(faust_leader_topic(settings.app_id), 1, in_sync),
        statistics_topic_spec(settings.statistics_topic, in_sync),
    )
    statistics = Statistics(table)
    app.servers = tuple(servers)
    writer = ChangelogWriter(servers, changelog.get_topic_name())
    dead_letter_producer = DurableProducer(servers)
    statistics_producer = DurableProducer(servers)
    app.durable_producers = (writer.durable, dead_letter_producer, statistics_producer)
    app.stop_timeout = settings.stop_timeout

    def acknowledge(receipt: BatchReceipt) -> None:
        consumer = app.consumer
        assert isinstance(consumer, BatchingConsumer), "OlfApp makes a BatchingConsumer"
        consumer.acknowledge(receipt)

    app.checkpointer = Checkpointer(statistics, writer, ack=acknowledge)

    async def checkpoint_if_large(pending_rows: int) -> None:
        if pending_rows >= CHECKPOINT_MAX_ROWS:
            await app.consumer.commit()

    agent = declare_events_agent(
        app,
        events,
        settings.order_events_topic,
        statistics,
        dead_letters or KafkaDeadLetters(dead_letter_producer),
        checkpoint_due=checkpoint_if_large,
    )
    cluster = Cluster(
        app,
        statistics,
        inputs,
        settings.topic_partitions,
        internal_token=settings.internal_token,
    )
    # Before the web server's own rules: an unauthenticated caller learns nothing else.
    install_internal_auth(app, settings.internal_token)
    view = MergedView(cluster)
    keep_merged_view(app, view)
    publisher = declare_statistics_publisher(
        app, view, statistics_producer, settings.statistics_topic
    )
    answered = declare_views(app, cluster, view)
    declare_metrics(app, cluster, answered, publisher)
    declare_web_server(app, cluster, view, settings)
    return Olf(
        app=app,
        statistics=statistics,
        cluster=cluster,
        view=view,
        apply_events=agent,
        statistics_publisher=publisher,
    )
