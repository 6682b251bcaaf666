"""Drive an OLF app's agent in-process (Faust's test_context) and read its answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faust.types.tuples import Message

from app.factory import Olf
from app.reports import ClusterView, Series, partition_report
from tests.reference_model import Sent


@dataclass
class RecordingDeadLetters:
    """Dead letters kept in memory, for unit tests without a broker."""

    records: list[tuple[Message, str]] = field(default_factory=list)

    async def send(self, message: Message, reason: str) -> None:
        self.records.append((message, reason))

    def as_tuples(self) -> list[tuple[int, int, bytes | None, bytes | None]]:
        """(partition, offset, key, value) of each dead letter, in order."""
        return [(m.partition, m.offset, m.key, m.value) for m, _ in self.records]


async def put(agent: Any, key: bytes | None, value: bytes, partition: int) -> str:
    """Put one message through a test_context agent and return its outcome.

    The message's offset is ``agent.sent_offset`` (0, 1, 2... per context).
    """
    await agent.put(value, key=key, partition=partition)
    return str(agent.results[agent.processed_offset - 1])


async def run_stream(olf: Olf, stream: list[Sent]) -> list[str]:
    """Put every message through the agent; return each outcome. Offsets are 0, 1, 2..."""
    async with olf.apply_customer_events.test_context() as agent:
        return [await put(agent, sent.key, sent.value, sent.partition) for sent in stream]


def local_view(olf: Olf, partitions: int, series: Series | None = None) -> ClusterView:
    """What the web API would merge, for one worker owning every partition."""
    reports = {
        partition: partition_report(olf.statistics, partition, 0, 0, series)
        for partition in range(partitions)
    }
    return ClusterView.merge([reports], partitions)
