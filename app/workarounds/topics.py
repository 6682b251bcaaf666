"""Creating OLF's own topics before the worker joins its consumer group.

Faust creates a topic it owns just before subscribing to it, but the group's
first assignment is computed from metadata that may predate the topic; the
worker then owns none of its partitions until the next metadata refresh
(five minutes by default). Creating the topics before the consumer starts
closes that gap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from yarl import URL

log = logging.getLogger(__name__)


def bootstrap_servers(brokers: Iterable[URL]) -> list[str]:
    """``host:port`` of each ``kafka://`` broker URL (port 9092 if none)."""
    return [f"{url.host}:{url.port or 9092}" for url in brokers]


async def ensure_topics(
    brokers: Iterable[URL], names: Iterable[str], partitions: int, replication: int
) -> None:
    """Create the named topics that do not exist yet; leave existing ones alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers(brokers))
    await admin.start()
    try:
        wanted = [NewTopic(name, partitions, replication) for name in names]
        response = await admin.create_topics(wanted)
        for topic, code, *_ in response.topic_errors:
            if code == TopicAlreadyExistsError.errno:
                continue
            if code:
                raise RuntimeError(f"could not create topic {topic!r}: Kafka error {code}")
            log.info("Created topic %s with %d partitions", topic, partitions)
    finally:
        await admin.close()
