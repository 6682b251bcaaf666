"""Where a cluster's partitions are led and replicated, read with Kafka's admin API."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

#: The worker settings for the cluster: three replicas, two in sync for a write.
REPLICATED_ENV: Final = {"OLF_TOPIC_REPLICATION_FACTOR": "3", "OLF_TOPIC_MIN_INSYNC_REPLICAS": "2"}


@dataclass(frozen=True, slots=True)
class PartitionState:
    topic: str
    partition: int
    leader: int  # -1: none
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    # Short timeouts: a node that was just killed must not hold a check up for 40 s.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def partition_states(bootstrap: str, topics: list[str] | None = None) -> list[PartitionState]:
    """Leader, replicas and in-sync replicas of every partition of ``topics`` (default: all)."""
    async with admin_client(bootstrap) as admin:
        return await _partition_states(admin, topics)


async def _partition_states(
    admin: AIOKafkaAdminClient, topics: list[str] | None
) -> list[PartitionState]:
    # Only topics that exist are asked about: the admin client's metadata
    # request would make the broker create a missing one.
    existing = set(await admin.list_topics())
    names = sorted(existing if topics is None else existing.intersection(topics))
    described = await admin.describe_topics(names) if names else []
    return [
        PartitionState(
            topic["topic"],
            partition["partition"],
            partition["leader"],
            tuple(partition["replicas"]),
            tuple(partition["isr"]),
        )
        for topic in described
        for partition in topic["partitions"]
    ]


def leaders(states: list[PartitionState]) -> Counter[int]:
    """How many of ``states``' partitions each broker leads."""
    return Counter(state.leader for state in states)


async def wait_for_partitions(
    bootstrap: str,
    done: Callable[[list[PartitionState]], bool],
    within: float,
    what: str,
    topics: list[str] | None = None,
) -> float:
    """Poll the partitions of ``topics`` until ``done`` holds; return the seconds it took.

    Raises:
        AssertionError: ``within`` seconds passed first (the last states are shown).
    """
    started = time.monotonic()
    last: object = "nothing read yet"
    while time.monotonic() - started < within:
        try:
            # One client per attempt at most: a new one costs the test process
            # CPU the restarting brokers need.
            async with admin_client(bootstrap) as admin:
                while time.monotonic() - started < within:
                    states = await _partition_states(admin, topics)
                    if done(states):
                        return time.monotonic() - started
                    last = [state for state in states if not done([state])][:5]
                    await asyncio.sleep(0.5)
        except (KafkaError, OSError) as exc:  # a node just went away: ask again
            last = exc
            await asyncio.sleep(0.5)
    raise AssertionError(f"timed out after {within:.0f}s waiting for {what}; last seen: {last!r}")


def led_without(node: int) -> Callable[[list[PartitionState]], bool]:
    """True once every partition has a leader other than ``node``."""
    return lambda states: all(state.leader not in (-1, node) for state in states)


def fully_in_sync(states: list[PartitionState]) -> bool:
    """Every partition led, and every replica of it in sync."""
    return all(state.leader >= 0 and set(state.isr) == set(state.replicas) for state in states)


async def replication_of(bootstrap: str, topics: list[str]) -> dict[str, tuple[int, str]]:
    """Each topic's replication factor and its ``min.insync.replicas`` as the broker reports it."""
    states = await partition_states(bootstrap, topics)
    async with admin_client(bootstrap) as admin:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in topics]
        )
    min_insync: dict[str, str] = {}
    for response in responses:
        for _code, _message, _type, name, entries in response.resources:
            for entry in entries:
                if entry[0] == "min.insync.replicas":
                    min_insync[name] = entry[1]
    return {
        topic: (max(len(s.replicas) for s in states if s.topic == topic), min_insync[topic])
        for topic in topics
    }
