"""Drive an OLF app's agent in-process (Faust's test_context) and read its answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from faust.types.tuples import Message

from app.factory import Olf
from app.queries.answers import MergedReports
from app.queries.local_reports import LocalReports
from app.queries.partition_report import NO_REVISION, PartitionReport, ReportUpdate
from models.message_batch import InputMessage, MessageBatch
from tests.reference_model import CUSTOMER_EVENTS, Sent

TOPIC = CUSTOMER_EVENTS


@dataclass
class RecordingDeadLetters:
    """Dead letters kept in memory, for unit tests without a broker."""

    records: list[tuple[InputMessage, str]] = field(default_factory=list)

    async def publish(self, message: InputMessage, reason: str) -> Awaitable[object]:
        self.records.append((message, reason))
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def as_tuples(self) -> list[tuple[int, int, bytes | None, bytes | None]]:
        """(partition, offset, key, value) of each dead letter, in order."""
        return [(m.partition, m.offset, m.key, m.value) for m, _ in self.records]


def message_at(
    partition: int, offset: int, key: bytes | None, value: bytes, topic: str = TOPIC
) -> Message:
    """An input message as the consumer would deliver it."""
    return Message(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=0.0,
        timestamp_type=0,
        headers=None,
        key=key,
        value=value,
        checksum=b"",
        serialized_key_size=0,
        serialized_value_size=0,
    )


async def put_batch(agent: Any, messages: Sequence[Message]) -> list[str]:
    """Put one batch of one partition's messages through a test_context agent.

    Returns each message's outcome.
    """
    batch = MessageBatch(messages[0].topic, messages[0].partition, list(messages))
    await agent.put(batch)
    return [str(outcome) for outcome in agent.results[agent.processed_offset - 1]]


async def put(agent: Any, key: bytes | None, value: bytes, partition: int) -> str:
    """Put one message, in a batch of its own, at offset ``agent.sent_offset``; return its outcome.

    ``sent_offset`` counts the puts of a context (0, 1, 2...), across partitions.
    """
    [outcome] = await put_batch(agent, [message_at(partition, agent.sent_offset, key, value)])
    return outcome


def batches(stream: Sequence[Sent], sizes: Sequence[int] = ()) -> list[list[Message]]:
    """``stream`` at offsets 0, 1, 2..., cut into batches of one topic partition each.

    A batch ends where the topic or partition changes, or after ``sizes[i]`` messages
    for the i-th batch (the last size repeats; none: no limit), as a consumer
    cuts what it fetched.
    """
    cut: list[list[Message]] = []
    for offset, sent in enumerate(stream):
        message = message_at(sent.partition, offset, sent.key, sent.value, sent.topic)
        limit = sizes[min(len(cut) - 1, len(sizes) - 1)] if sizes and cut else None
        current = cut[-1] if cut else None
        if (
            current is None
            or (current[0].topic, current[0].partition) != (sent.topic, sent.partition)
            or (limit is not None and len(current) >= limit)
        ):
            cut.append([message])
        else:
            current.append(message)
    return cut


async def run_stream(
    olf: Olf,
    stream: list[Sent],
    sizes: Sequence[int] = (1,),
    after_batch: Callable[[], None] | None = None,
) -> list[str]:
    """Put every message through the agent in batches; return each outcome (offsets 0, 1, 2...)."""
    outcomes: list[str] = []
    async with olf.apply_events.test_context() as agent:
        for batch in batches(stream, sizes):
            outcomes.extend(await put_batch(agent, batch))
            if after_batch is not None:
                after_batch()
    return outcomes


def local_view(olf: Olf, partitions: int) -> MergedReports:
    """What the web API answers from, for one worker owning every partition (read whole)."""
    local = LocalReports(olf.statistics)
    local.refresh(dict.fromkeys(range(partitions), 0))
    return MergedReports(dict(local.reports), partitions)


class FollowedReports:
    """Reports followed the way workers follow them while the agent runs.

    :meth:`step` (after each batch) refreshes one worker's reports of every
    partition; every other step, another worker's copies are brought up to
    date through the JSON updates of the internal API, so they skip revisions
    as a peer polling less often than the refresh does.
    """

    def __init__(self, olf: Olf, partitions: int) -> None:
        self.local = LocalReports(olf.statistics)
        self.partitions = partitions
        self.copies: dict[int, PartitionReport] = {}
        self.steps = 0

    def step(self) -> None:
        self.local.refresh(dict.fromkeys(range(self.partitions), 0))
        self.steps += 1
        if self.steps % 2 == 0:
            self.copy()

    def copy(self) -> None:
        for partition in self.local.reports:
            held = self.copies.get(partition)
            source, since = ("", NO_REVISION) if held is None else (held.source, held.revision)
            update = self.local.update_for(partition, source, since)
            assert update is not None
            wire = orjson.loads(orjson.dumps(update.to_json()))
            copy = ReportUpdate.from_json(partition, wire).apply_to(held)
            assert copy is not None, "an update asked for a held copy applies to it"
            self.copies[partition] = copy

    def merged(self) -> MergedReports:
        return MergedReports(dict(self.local.reports), self.partitions)

    def merged_copies(self) -> MergedReports:
        self.step()
        self.copy()
        return MergedReports(dict(self.copies), self.partitions)
