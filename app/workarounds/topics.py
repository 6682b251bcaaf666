"""Creating OLF's own topics, and seeing them in the broker's metadata, before joining the group.

Faust creates a topic it owns just before subscribing to it, but the group's
first assignment is computed from metadata that may predate the topic; the
worker then owns none of its partitions until the next metadata refresh
(five minutes by default). Creating the topics before the consumer starts
narrows that gap, and waiting until the broker's metadata lists every
partition with a leader closes it: on a busy machine a topic created 3 s
earlier was still missing from the metadata the first assignment used
("Ignoring missing topic"), and the worker sat idle for five minutes.

Faust (faust-streaming 0.15) also creates its topics with no
``min.insync.replicas`` of their own (``Topic.declare`` passes only the
table's ``extra_topic_configs``; its assignor's leader topic gets none), so
on a cluster whose brokers keep Kafka's default of 1 an ``acks=all`` write
is acknowledged by the leader alone once the followers fall behind, and is
lost with that broker. OLF creates every topic it uses, Faust's leader topic
included, with the replication factor and ``min.insync.replicas`` it is given
(``tests/unit/test_topics.py`` shows Faust's topics beside OLF's).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

#: How long to wait for new topics to appear in the broker's metadata.
METADATA_TIMEOUT = 60.0


class NotEnoughBrokers(RuntimeError):
    """The replication factor asked for is larger than the cluster's broker count."""

    def __init__(self, replication: int, brokers: set[int]) -> None:
        super().__init__(
            f"{replication} replicas need {replication} brokers, but the cluster has"
            f" {len(brokers)} (ids {', '.join(map(str, sorted(brokers)))})"
        )
        self.replication = replication
        self.brokers = brokers


def faust_leader_topic(app_id: str) -> str:
    """The topic Faust's partition assignor subscribes every worker to (one partition)."""
    return f"{app_id}-__assignor-__leader"


@dataclass(frozen=True)
class TopicSpec:
    """A topic OLF creates if missing: its name, partitions and topic configs."""

    name: str
    partitions: int
    config: Mapping[str, str] = field(default_factory=dict)
    #: An existing topic must have exactly ``partitions``: the input topics and
    #: the changelog are co-partitioned, and the join needs partition p of each
    #: on one worker. Faust would assign topics of different counts apart, silently.
    co_partitioned: bool = False


class WrongPartitionCount(RuntimeError):
    """An existing co-partitioned topic has another number of partitions than OLF's setting."""


async def ensure_topics(
    servers: Iterable[str], topics: Iterable[TopicSpec], replication: int
) -> None:
    """Create the topics that do not exist yet, then wait until the metadata shows them all.

    ``servers`` are the brokers' ``host:port``; existing topics are left as they are.

    Raises:
        NotEnoughBrokers: ``replication`` exceeds the brokers the cluster has.
        WrongPartitionCount: a co-partitioned topic exists with another partition count.
        RuntimeError: a topic could not be created, or did not appear in time.
    """
    wanted = list(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=list(servers))
    await admin.start()
    try:
        known = await _known_brokers(admin, [spec.name for spec in wanted])
        if replication > len(known):
            raise NotEnoughBrokers(replication, known)
        response = await admin.create_topics(
            [
                NewTopic(spec.name, spec.partitions, replication, topic_configs=dict(spec.config))
                for spec in wanted
            ]
        )
        for topic, code, *_ in response.topic_errors:
            if code == TopicAlreadyExistsError.errno:
                continue
            if code:
                raise RuntimeError(f"could not create topic {topic!r}: Kafka error {code}")
            log.info("Created topic %s", topic)
        partitions = await _wait_until_led(admin, [spec.name for spec in wanted])
        for spec in wanted:
            if spec.co_partitioned and partitions[spec.name] != spec.partitions:
                raise WrongPartitionCount(
                    f"topic {spec.name!r} has {partitions[spec.name]} partitions, not"
                    f" {spec.partitions}: OLF's input topics and its changelog must have the"
                    " same number, so that each customer's events and orders meet on one worker"
                )
    finally:
        await admin.close()


async def _known_brokers(admin: AIOKafkaAdminClient, names: list[str]) -> set[int]:
    """Ids of the brokers the cluster has: those up now, and those holding replicas of ``names``.

    The metadata lists only running brokers; counting the replicas of the
    topics that exist keeps a worker that restarts while a broker is down
    (a rolling restart) from taking that as too few brokers.
    """
    cluster = await admin.describe_cluster()
    known = {broker["node_id"] for broker in cluster["brokers"]}
    # Only those that exist: the metadata request behind describe_topics (v1)
    # makes a broker with auto.create.topics.enable create any missing one,
    # with the broker's defaults.
    existing = set(await admin.list_topics()).intersection(names)
    for topic in await admin.describe_topics(sorted(existing)) if existing else ():
        for partition in topic["partitions"]:
            known.update(partition["replicas"])
    return known


async def _wait_until_led(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Wait until the broker's metadata lists each topic with a leader for every partition.

    Returns each topic's number of partitions.
    """
    deadline = time.monotonic() + METADATA_TIMEOUT
    while True:
        described = await admin.describe_topics(names)
        missing = [
            topic["topic"]
            for topic in described
            if topic["error_code"] or any(p["leader"] < 0 for p in topic["partitions"])
        ]
        if not missing:
            return {topic["topic"]: len(topic["partitions"]) for topic in described}
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics {missing} have no leader after {METADATA_TIMEOUT:.0f}s")
        await asyncio.sleep(0.2)
