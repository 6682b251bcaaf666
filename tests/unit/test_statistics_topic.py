"""The statistics topic's publish policy, with a fake clock and producer; and its wiring.

Policy (app.publishing.statistics_topic): only the leader, only complete
snapshots, only when they changed, at most once a second, and the newest one
once they stop changing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import orjson
import pytest

from app.factory import Olf, OlfApp
from app.publishing import statistics_topic
from app.publishing.statistics_topic import StatisticsPublisher, leads
from app.queries.live_stats import Snapshot, live_snapshot
from app.queries.partition_report import PartitionReport
from models.partition_stats import PartitionStats
from tests.conftest import UNIT_PARTITIONS
from tests.web_client import serve

WORKER = "http://127.0.0.1:6066"
PUBLISHED_AT = datetime(2026, 11, 26, 10, 15, 42, 123456, tzinfo=UTC)


def snapshot(total: int, complete: bool = True) -> Snapshot:
    """A snapshot of live_stats' shape, as far as the policy reads it."""
    return {"summary": {"customers": {"total": total}}, "as_of": {"complete": complete}}


class Stage:
    """A view, a leadership, a clock and a producer the test sets by hand."""

    def __init__(self) -> None:
        self.current = snapshot(0)
        self.leader = True
        #: Tenths of a second: whole numbers, so that ten steps are exactly one second.
        self.ticks = 1000
        self.sent: list[dict[str, Any]] = []
        self.failing = False
        #: Times the publisher read the view: each read of a changed view builds a snapshot.
        self.reads = 0
        self.publisher = StatisticsPublisher(
            self.read,
            lambda: self.leader,
            self.send,
            lambda: WORKER,
            clock=lambda: self.now,
            wall_clock=lambda: PUBLISHED_AT,
        )

    def read(self) -> Snapshot:
        self.reads += 1
        return self.current

    @property
    def now(self) -> float:
        return self.ticks / 10

    async def send(self, value: bytes) -> None:
        if self.failing:
            raise ConnectionError("broker unreachable")
        self.sent.append(orjson.loads(value))

    def totals(self) -> list[int]:
        return [message["statistics"]["summary"]["customers"]["total"] for message in self.sent]

    async def run(self, seconds: float, change_every: float | None = None) -> None:
        """Step every 0.1 s for ``seconds``; a new total every ``change_every`` s if given."""
        assert statistics_topic.CHECK_EVERY == 0.1
        for tick in range(round(seconds * 10)):
            if change_every is not None and tick % round(change_every * 10) == 0:
                self.current = snapshot(self.current["summary"]["customers"]["total"] + 1)
            await self.publisher.step()
            self.ticks += 1


@pytest.fixture
def stage() -> Stage:
    return Stage()


async def test_the_first_step_of_the_leader_publishes_the_snapshot_in_its_envelope(
    stage: Stage,
) -> None:
    assert await stage.publisher.step() is True

    assert stage.sent == [
        {
            "format": 1,
            "worker": WORKER,
            "published_at": "2026-11-26T10:15:42.123456Z",
            "statistics": stage.current,
        }
    ]
    assert stage.publisher.published == 1


async def test_nothing_changed_nothing_published(stage: Stage) -> None:
    await stage.run(5.0)
    stage.current = snapshot(0)  # rebuilt (a new version of the view), equal
    await stage.run(5.0)

    assert stage.totals() == [0]


async def test_changes_are_published_at_most_once_a_second_and_the_newest_last(
    stage: Stage,
) -> None:
    published_at: list[float] = []
    real_send = stage.publisher.send

    async def timed_send(value: bytes) -> None:
        published_at.append(stage.now)
        await real_send(value)

    stage.publisher.send = timed_send
    await stage.run(10.0, change_every=0.1)  # 100 changes
    assert stage.reads == len(stage.sent) == 10  # within a second of a message, no read
    changes_end = stage.current
    await stage.run(3.0)

    gaps = [later - earlier for earlier, later in pairwise(published_at)]
    assert len(stage.sent) == 11  # one a second, and the newest after the changes stop
    assert min(gaps) >= statistics_topic.PUBLISH_EVERY
    assert stage.sent[-1]["statistics"] == changes_end
    assert stage.totals() == sorted(set(stage.totals()))


async def test_a_change_within_the_second_waits_for_it_then_goes_out(stage: Stage) -> None:
    await stage.run(0.3)
    stage.current = snapshot(1)
    await stage.run(0.5)  # 0.8 s after the first message
    assert stage.totals() == [0]

    await stage.run(0.3)

    assert stage.totals() == [0, 1]


async def test_a_worker_that_does_not_lead_publishes_nothing(stage: Stage) -> None:
    stage.leader = False
    await stage.run(5.0, change_every=0.5)

    assert stage.sent == []
    assert stage.publisher.leading is False


async def test_a_worker_that_leads_again_publishes_even_an_unchanged_snapshot(
    stage: Stage,
) -> None:
    await stage.run(2.0)
    stage.leader = False  # meanwhile another worker's message became the newest
    await stage.run(2.0)
    stage.leader = True
    await stage.run(0.1)

    assert stage.totals() == [0, 0]


async def test_incomplete_snapshots_are_not_published(stage: Stage) -> None:
    await stage.run(2.0)
    stage.current = snapshot(5, complete=False)  # a rebalance: some partitions uncovered
    await stage.run(3.0)
    assert stage.totals() == [0]

    stage.current = snapshot(9)
    await stage.run(0.1)

    assert stage.totals() == [0, 9]
    assert all(message["statistics"]["as_of"]["complete"] for message in stage.sent)


async def test_a_failed_send_is_retried_with_the_newest_snapshot(stage: Stage) -> None:
    stage.failing = True
    with pytest.raises(ConnectionError):
        await stage.publisher.step()
    stage.current = snapshot(3)
    stage.failing = False
    await stage.run(0.5)
    assert stage.sent == []  # a failed attempt counts for the once-a-second bound

    await stage.run(0.6)

    assert stage.totals() == [3]


# The wiring: a real app's publisher, its view and its topic.


def covered(olf: Olf, customers: int) -> None:
    """Give ``olf``'s view a report of every partition, ``customers`` in partition 0."""
    olf.view.local.reports = {
        partition: PartitionReport(
            partition,
            "s",
            customers + 1,
            PartitionStats(offset=customers, total=customers if partition == 0 else 0),
            lag=0,
        )
        for partition in range(UNIT_PARTITIONS)
    }
    olf.view.merge()


async def test_the_app_publishes_the_live_stream_s_own_snapshot_object(olf: Olf) -> None:
    sent: list[bytes] = []

    async def send(value: bytes) -> None:
        sent.append(value)

    publisher = olf.statistics_publisher
    publisher.leads, publisher.send = (lambda: True), send
    covered(olf, 7)

    assert await publisher.step() is True

    # The object the live stream reads (app.web.stream), built once per version.
    live = olf.view.answer("live", live_snapshot).value
    assert publisher.read() is live
    message = orjson.loads(sent[0])
    assert message["statistics"] == live == live_snapshot(olf.view.merged)
    assert message["statistics"]["summary"]["customers"] == {"total": 7}
    assert message["worker"] == olf.cluster.own_url
    async with serve(olf) as client:
        metrics = await (await client.get("/metrics")).text()
    assert "olf_statistics_published_total 1.0" in metrics
    assert "olf_statistics_publisher 1.0" in metrics


def test_a_worker_not_yet_in_its_group_does_not_lead(olf: Olf) -> None:
    assert leads(olf.app) is False


def test_the_topic_is_compacted_with_one_partition_and_the_replication_settings(
    olf_factory: Any,
) -> None:
    app = olf_factory(
        statistics_topic="stats-out", topic_replication_factor=3, topic_min_insync_replicas=2
    ).app
    assert isinstance(app, OlfApp)

    spec = next(spec for spec in app.own_topics if spec.name == "stats-out")

    assert spec.partitions == 1
    assert spec.config["cleanup.policy"] == "compact"
    assert spec.config["min.insync.replicas"] == "2"
