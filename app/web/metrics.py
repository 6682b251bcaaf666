"""``GET /metrics`` in Prometheus format: Faust's own sensor plus OLF's numbers.

OLF's numbers are read from the statistics table at scrape time, for the
partitions this worker owns, so they are exact, survive restarts and never
need to be kept in step with the table:

* ``olf_events_total{outcome,partition}``: messages applied, duplicate, rejected
* ``olf_customers{partition}``: existing customers
* ``olf_consumer_lag{partition}``: messages not yet processed
* ``olf_recovery_remaining{kind}``: changelog messages still to restore
  (``active`` tables, ``standby`` replicas)

and, counted since the worker started, what Faust's per-message sensors no
longer see now that input and changelog arrive in batches
(:mod:`app.workarounds.batch_delivery`):

* ``olf_batches_total``, ``olf_batch_messages_total``: batches handed to the agent, their messages
* ``olf_checkpoints_total``, ``olf_checkpoint_seconds_total``: checkpoints and the time they took
* ``olf_changelog_messages_total``: changelog messages checkpoints wrote
* ``olf_changelog_rows_restored_total``: rows restored from the changelog (recovery, standbys)
* ``olf_http_answers_total{path,status}``: answers of OLF's API views, which
  Faust's ``faust_http_*`` metrics leave out (:mod:`app.workarounds.unsensed_views`)
* ``olf_statistics_published_total``: messages this worker published to the
  statistics topic (:mod:`app.publishing.statistics_topic`)
* ``olf_statistics_publisher``: 1 while this worker is the one that publishes
  them (Faust's leader, not rebalancing), else 0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.types import TP
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.publishing.statistics_topic import StatisticsPublisher
from app.queries.cluster import Cluster
from app.workarounds.batch_delivery import BatchingConsumer
from app.workarounds.recovery import BatchRecovery
from models.partition_stats import NOTHING_PROCESSED
from tables.checkpoint import Checkpointer

OUTCOMES = ("applied", "duplicates", "rejected")


class OlfCollector(Collector):
    """Reads OLF's metrics from this worker's partitions on every scrape."""

    def __init__(
        self,
        app: faust.App,
        cluster: Cluster,
        answered: Mapping[str, Counter[int]],
        publisher: StatisticsPublisher,
    ) -> None:
        self.app = app
        self.cluster = cluster
        self.answered = answered
        self.publisher = publisher

    def collect(self) -> Iterator[Metric]:
        events = CounterMetricFamily(
            "olf_events", "Messages processed, by outcome.", labels=["outcome", "partition"]
        )
        customers = GaugeMetricFamily("olf_customers", "Existing customers.", labels=["partition"])
        lag = GaugeMetricFamily(
            "olf_consumer_lag", "Messages not yet processed.", labels=["partition"]
        )
        for partition in self.cluster.owned_partitions():
            stats = self.cluster.statistics.partition(partition)
            label = str(partition)
            for outcome in OUTCOMES:
                events.add_metric([outcome, label], getattr(stats, outcome))
            customers.add_metric([label], stats.total)
            highwater = self.cluster.known_highwater(TP(self.cluster.topic, partition))
            if highwater is not None and stats.offset != NOTHING_PROCESSED:
                lag.add_metric([label], max(0, highwater - stats.offset - 1))
        yield events
        yield customers
        yield lag
        yield self._recovery()
        yield from self._batches()
        answers = CounterMetricFamily(
            "olf_http_answers", "Answers of OLF's API views.", labels=["path", "status"]
        )
        for path, statuses in self.answered.items():
            for status, count in sorted(statuses.items()):
                answers.add_metric([path, str(status)], count)
        yield answers
        yield CounterMetricFamily(
            "olf_statistics_published",
            "Messages this worker published to the statistics topic.",
            self.publisher.published,
        )
        yield GaugeMetricFamily(
            "olf_statistics_publisher",
            "1 while this worker publishes the statistics topic (Faust's leader), else 0.",
            int(self.publisher.leading),
        )

    def _batches(self) -> Iterator[Metric]:
        consumer = self.app.consumer
        if isinstance(consumer, BatchingConsumer):
            yield CounterMetricFamily(
                "olf_batches", "Batches of input handed to the agent.", consumer.delivered.batches
            )
            yield CounterMetricFamily(
                "olf_batch_messages",
                "Input messages handed to the agent in batches.",
                consumer.delivered.messages,
            )
        checkpointer = getattr(self.app, "checkpointer", None)
        if isinstance(checkpointer, Checkpointer):
            totals = checkpointer.totals
            yield CounterMetricFamily(
                "olf_checkpoints", "Checkpoints that made changes durable.", totals.checkpoints
            )
            yield CounterMetricFamily(
                "olf_checkpoint_seconds", "Time checkpoints took.", totals.seconds
            )
            yield CounterMetricFamily(
                "olf_changelog_messages",
                "Changelog messages checkpoints wrote.",
                totals.changelog_messages,
            )
        recovery = self.app.tables.recovery  # type: ignore[attr-defined]  # TableManager's
        if isinstance(recovery, BatchRecovery):
            yield CounterMetricFamily(
                "olf_changelog_rows_restored",
                "Rows restored from the changelog (recovery and standby copies).",
                recovery.rows_applied,
            )

    def _recovery(self) -> GaugeMetricFamily:
        remaining = GaugeMetricFamily(
            "olf_recovery_remaining",
            "Changelog messages still to restore.",
            labels=["kind"],
        )
        recovery = self.app.tables.recovery  # type: ignore[attr-defined]  # TableManager's
        remaining.add_metric(["active"], recovery.active_remaining_total())
        remaining.add_metric(["standby"], recovery.standby_remaining_total())
        return remaining


def declare_metrics(
    app: faust.App,
    cluster: Cluster,
    answered: Mapping[str, Counter[int]],
    publisher: StatisticsPublisher,
) -> None:
    """Serve ``/metrics``; one registry per app, so test apps never collide.

    ``answered``: the API views' answers by status, by path (see :func:`app.web.api.declare_views`).
    """
    registry = CollectorRegistry()
    registry.register(OlfCollector(app, cluster, answered, publisher))
    setup_prometheus_sensors(app, pattern="/metrics", registry=registry, name_prefix="faust")
