"""The benchmark's Kafka broker: started with ``dev/kafka/kafka.sh``, and its topics.

One local broker for the whole run, on ``OLF_BENCH_KAFKA_PORT`` (default 19192,
away from ``make run``'s 9092 and ``make test``'s 19092). A broker that already
runs on that port is used and left running; one the benchmark started is stopped.
Every topic of a run carries the run's id, so :func:`delete_topics_of` can remove
them all afterwards and the broker's disk does not fill up run after run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "dev" / "kafka" / "kafka.sh"
DEFAULT_PORT = 19192


def bench_port() -> int:
    """The broker port: ``OLF_BENCH_KAFKA_PORT`` or 19192."""
    return int(os.environ.get("OLF_BENCH_KAFKA_PORT", str(DEFAULT_PORT)))


@dataclass
class Broker:
    """The local broker on ``port``; :meth:`start` remembers whether it was already running."""

    port: int
    started_here: bool = False

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _kafka_sh(self, command: str, check: bool = True) -> int:
        env = {**os.environ, "OLF_KAFKA_PORT": str(self.port)}
        done = subprocess.run(
            ["bash", str(KAFKA_SH), command], env=env, check=check, capture_output=True, text=True
        )
        return done.returncode

    def start(self) -> None:
        """Start the broker unless it runs; raise ``CalledProcessError`` if it cannot."""
        if self._kafka_sh("status", check=False) == 0:
            return
        self._kafka_sh("start")
        self.started_here = True

    def stop(self) -> None:
        """Stop the broker if :meth:`start` started it."""
        if self.started_here:
            self._kafka_sh("stop", check=False)
            self.started_here = False


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    """Create ``name`` with ``partitions`` partitions (one replica) and wait until it is usable."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
        # Metadata reaches every listener shortly after creation; producing
        # before that would briefly fail with UnknownTopicOrPartition.
        for _ in range(100):
            described = await admin.describe_topics([name])
            led = [p for p in described[0]["partitions"] if p["leader"] >= 0] if described else []
            if len(led) == partitions:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topic {name} did not appear with {partitions} partitions")
    finally:
        await admin.close()


async def partition_count(bootstrap: str, topic: str) -> int:
    """How many partitions ``topic`` has; 0 when it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
        return len(described[0]["partitions"]) if described else 0
    finally:
        await admin.close()


async def offset_range(bootstrap: str, topic: str) -> tuple[int, int]:
    """(sum of beginning offsets, sum of end offsets) over every partition of ``topic``.

    Raises:
        RuntimeError: the topic does not exist.
    """
    partitions = await partition_count(bootstrap, topic)
    if not partitions:
        raise RuntimeError(f"no topic {topic} on {bootstrap}")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, partition) for partition in range(partitions)]
        beginning = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
        return sum(beginning.values()), sum(end.values())
    finally:
        await consumer.stop()


async def commit_end_offsets(bootstrap: str, topic: str, group: str) -> int:
    """Commit ``topic``'s end offsets for consumer group ``group``, which has no members yet.

    A worker of that group then starts at the end, with nothing to read until
    more is produced. Returns the sum of the offsets committed.
    """
    partitions = await partition_count(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, partition) for partition in range(partitions)]
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        await consumer.commit(end)
        return sum(end.values())
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, topic: str, group: str) -> int:
    """The sum of ``group``'s committed offsets over ``topic``'s partitions (none: 0)."""
    partitions = await partition_count(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        offsets = [
            await consumer.committed(TopicPartition(topic, partition))
            for partition in range(partitions)
        ]
        return sum(offset or 0 for offset in offsets)
    finally:
        await consumer.stop()


async def delete_topics_of(bootstrap: str, run_id: str) -> int:
    """Delete every topic whose name contains ``run_id``; return how many."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if run_id in name]
        if names:
            await admin.delete_topics(names)
        return len(names)
    finally:
        await admin.close()
