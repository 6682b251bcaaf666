"""OLF creates its topics, Faust's included, replicated as configured, and refuses too few brokers.

Beside what Faust itself would create: the same replication factor, but no
``min.insync.replicas`` (see app.workarounds.topics).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiokafka.admin import NewTopic

from app.factory import Olf, OlfApp
from app.settings import SettingsError
from app.workarounds import topics
from app.workarounds.topics import NotEnoughBrokers, TopicSpec, ensure_topics, faust_leader_topic

REPLICATED = {"topic_replication_factor": 3, "topic_min_insync_replicas": 2}


class FakeAdmin:
    """An admin client for a cluster of ``brokers`` up now, holding ``existing`` topics.

    ``existing`` maps a topic to the broker ids of its partitions' replicas;
    ``partitions`` its number of partitions (default 1).
    """

    def __init__(
        self,
        brokers: list[int],
        existing: dict[str, list[int]],
        partitions: dict[str, int] | None = None,
    ) -> None:
        self.brokers, self.existing = brokers, existing
        self.partitions = partitions or {}
        self.created: list[NewTopic] = []
        self.auto_created: list[str] = []

    def __call__(self, **_options: Any) -> FakeAdmin:
        return self  # stands in for the class: AIOKafkaAdminClient(bootstrap_servers=...)

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def describe_cluster(self) -> dict[str, Any]:
        return {"brokers": [{"node_id": node} for node in self.brokers]}

    async def list_topics(self) -> list[str]:
        return list(self.existing)

    async def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        # As a broker with auto.create.topics.enable answers: a topic it lacks, it creates.
        missing = [name for name in names if name not in self.existing]
        self.auto_created.extend(missing)
        self.existing.update({name: self.brokers[:1] for name in missing})
        return [
            {
                "topic": name,
                "error_code": 0,
                "partitions": [{"leader": 1, "replicas": self.existing[name]}]
                * self.partitions.get(name, 1),
            }
            for name in names
        ]

    async def create_topics(self, new_topics: list[NewTopic]) -> Any:
        self.created.extend(new_topics)
        for topic in new_topics:
            if topic.name in self.existing:
                continue
            self.existing[topic.name] = list(self.brokers)[: topic.replication_factor]
            self.partitions[topic.name] = topic.num_partitions
        return type("Response", (), {"topic_errors": [(t.name, 0) for t in new_topics]})()


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeAdmin]:
    """Make ``ensure_topics`` talk to a fake cluster: ``cluster(brokers, existing)``."""

    def install(
        brokers: list[int],
        existing: dict[str, list[int]] | None = None,
        partitions: dict[str, int] | None = None,
    ) -> FakeAdmin:
        admin = FakeAdmin(brokers, existing or {}, partitions)
        monkeypatch.setattr(topics, "AIOKafkaAdminClient", admin)
        return admin

    return install


def test_faust_would_create_its_topics_without_min_insync_replicas(
    olf_factory: Callable[..., Olf],
) -> None:
    app = olf_factory(**REPLICATED).app
    assignor: Any = app._leader_assignor  # LeaderAssignorT declares no topic
    leader = assignor._leader_topic
    changelog = app.tables["statistics"].changelog_topic

    # Faust's own topics: the replication factor, and nothing that makes acks=all
    # wait for more than the leader (the transport adds only cleanup and retention).
    assert leader.get_topic_name() == faust_leader_topic(app.conf.id)
    assert leader.replicas == app.conf.topic_replication_factor == 3
    assert "min.insync.replicas" not in (leader.config or {})
    assert "min.insync.replicas" not in (changelog.config or {})
    transport: Any = app.transport  # faust.transport.drivers.aiokafka.Transport
    transport_config = transport._topic_config(retention=1000, compacting=True, deleting=True)
    assert "min.insync.replicas" not in transport_config

    # OLF's: every topic it uses, each with min.insync.replicas, created first.
    assert isinstance(app, OlfApp)
    assert {spec.name: spec.config["min.insync.replicas"] for spec in app.own_topics} == {
        name: "2"
        for name in (
            "customer-events",
            "customer-events-dlq",
            "order-events",
            "order-events-dlq",
            changelog.get_topic_name(),
            faust_leader_topic(app.conf.id),
            "olf-statistics",
        )
    }


async def test_more_replicas_than_brokers_are_refused_before_anything_is_created(
    cluster: Callable[..., FakeAdmin],
) -> None:
    admin = cluster(brokers=[1])

    with pytest.raises(NotEnoughBrokers, match=r"3 replicas need 3 brokers, but the cluster has 1"):
        await ensure_topics([], [TopicSpec("events", 8)], replication=3)

    assert admin.created == []
    assert admin.auto_created == []


async def test_a_broker_that_is_down_still_counts_for_the_topics_it_holds(
    cluster: Callable[..., FakeAdmin],
) -> None:
    # A worker restarted during a rolling restart: broker 3 is down, its replicas are not.
    admin = cluster(brokers=[1, 2], existing={"events": [1, 2, 3]})

    await ensure_topics([], [TopicSpec("events", 8), TopicSpec("events-dlq", 8)], replication=3)

    # Asked for both; the broker answers "exists" for the first. Nothing was created
    # by merely asking about it, with the broker's defaults.
    assert [(topic.name, topic.replication_factor) for topic in admin.created] == [
        ("events", 3),
        ("events-dlq", 3),
    ]
    assert admin.auto_created == []


async def test_the_worker_refuses_naming_the_setting(
    olf_factory: Callable[..., Olf], cluster: Callable[..., FakeAdmin]
) -> None:
    cluster(brokers=[1])
    app = olf_factory(**REPLICATED).app

    with pytest.raises(SettingsError) as refused:
        await app.on_first_start()

    assert str(refused.value) == (
        "OLF_TOPIC_REPLICATION_FACTOR=3 is too large:"
        " 3 replicas need 3 brokers, but the cluster has 1 (ids 1)"
    )


async def test_an_input_topic_with_another_partition_count_is_refused(
    olf_factory: Callable[..., Olf], cluster: Callable[..., FakeAdmin]
) -> None:
    # Created by a producer before OLF, with the broker's default of 3 partitions:
    # Faust would assign it apart from customer-events, and orders would miss their customers.
    cluster(brokers=[1], existing={"order-events": [1]}, partitions={"order-events": 3})
    app = olf_factory().app

    with pytest.raises(SettingsError) as refused:
        await app.on_first_start()

    assert str(refused.value) == (
        f"OLF_TOPIC_PARTITIONS={app.conf.topic_partitions} does not fit: topic 'order-events'"
        f" has 3 partitions, not {app.conf.topic_partitions}: OLF's input topics and its"
        " changelog must have the same number, so that each customer's events and orders"
        " meet on one worker"
    )


async def test_a_dead_letter_topic_may_have_another_partition_count(
    cluster: Callable[..., FakeAdmin],
) -> None:
    cluster(brokers=[1], existing={"events-dlq": [1]}, partitions={"events-dlq": 3})

    await ensure_topics(
        [], [TopicSpec("events", 8, co_partitioned=True), TopicSpec("events-dlq", 8)], 1
    )
