"""A crash at any point of processing or checkpointing changes no number.

A worker processes a random stream in random batches and checkpoints now and
then; it dies at a random point of a random checkpoint: while sending its
changelog messages, after the changelog has them but before the local rows
are written, or while acknowledging the input. What survives is what a real
crash leaves: a prefix of each changelog partition, the local rows of
finished checkpoints (or nothing, when the disk is lost too), and the input
offsets that were acknowledged. A new worker restores the changelog's tail,
processes the input again from the committed offsets, and must then hold
exactly the reference model's numbers. The input is customer and order events,
interleaved, so each topic's offsets are committed and skipped on their own.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.dead_letters import DeadLetters
from agents.event_batches import apply_batch
from app.factory import Olf
from models.message_batch import BatchReceipt, MessageBatch
from tables.checkpoint import Checkpointer
from tables.rows import Row
from tests.conftest import UNIT_PARTITIONS, build_olf
from tests.join_answers import model_answers, view_answers
from tests.olf_driver import RecordingDeadLetters, batches, local_view
from tests.order_messages import two_topic_streams
from tests.reference_model import ORDER_EVENTS, ReferenceModel, Sent

#: An input partition: (topic, partition).
Input = tuple[str, int]

APP_ID = "olf-crash"


class Crash(Exception):
    """The worker process dies here."""


@dataclass(frozen=True)
class Record:
    """A changelog message as a restoring worker reads it."""

    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class FakeChangelog:
    """Changelog partitions in memory; a send can be made to crash part-way."""

    partitions: dict[int, list[Record]] = field(default_factory=lambda: defaultdict(list))
    #: Messages still accepted before the crash; None: no crash.
    crash_in: int | None = None
    #: Crash once every message is in, before the sender learns it.
    crash_after_send: bool = False

    async def send(self, partition: int, messages: Sequence[Row]) -> asyncio.Future[int]:
        log = self.partitions[partition]
        for key, value in messages:
            if self.crash_in is not None:
                if self.crash_in == 0:
                    raise Crash
                self.crash_in -= 1
            log.append(Record(len(log), key, value))
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if self.crash_after_send:
            future.set_exception(Crash())
        else:
            future.set_result(len(log) - 1)
        return future


@dataclass(frozen=True)
class Plan:
    """Where the batches end, when checkpoints run, and how the first worker dies."""

    sizes: list[int]
    checkpoint_every: int
    #: The checkpoint (counted from 0) during which the worker dies.
    crash_at: int
    #: "changelog": after ``messages`` changelog messages; "store": before the
    #: local rows are written; "acks": after ``messages`` input acknowledgements.
    stage: str
    messages: int
    disk_lost: bool


plans = st.builds(
    Plan,
    sizes=st.lists(st.integers(1, 8), min_size=1, max_size=5),
    checkpoint_every=st.integers(1, 4),
    crash_at=st.integers(0, 6),
    stage=st.sampled_from(["changelog", "store", "acks"]),
    messages=st.integers(0, 12),
    disk_lost=st.booleans(),
)


def as_batches(
    stream: list[Sent], sizes: Sequence[int], committed: dict[Input, int]
) -> list[MessageBatch]:
    """The stream's batches, without what an input partition's committed offset says was done."""
    result = []
    for cut in batches(stream, sizes):
        messages = [m for m in cut if m.offset >= committed.get((m.topic, m.partition), 0)]
        if messages:
            result.append(MessageBatch(messages[0].topic, messages[0].partition, messages))
    return result


async def apply(batch: MessageBatch, olf: Olf, dead: DeadLetters) -> None:
    await apply_batch(batch, olf.statistics, dead, orders=batch.topic == ORDER_EVENTS)


async def first_run(
    data_dir: Path, stream: list[Sent], plan: Plan, changelog: FakeChangelog, dead: DeadLetters
) -> dict[Input, int]:
    """Process until the planned crash; return each input partition's committed offset."""
    olf = build_olf(data_dir, dead, app_id=APP_ID, store_url="rocksdb://")
    acked: dict[Input, int] = {}
    acks_left = plan.messages if plan.stage == "acks" else None

    def ack(receipt: BatchReceipt) -> None:
        nonlocal acks_left
        if acks_left is not None and checkpoints == plan.crash_at:
            if acks_left == 0:
                raise Crash
            acks_left -= 1
        acked[receipt.topic, receipt.partition] = receipt.last_offset

    checkpointer = Checkpointer(olf.statistics, changelog, ack)
    checkpoints = 0
    try:
        for index, batch in enumerate(as_batches(stream, plan.sizes, {})):
            await apply(batch, olf, dead)
            if (index + 1) % plan.checkpoint_every:
                continue
            if checkpoints == plan.crash_at:
                changelog.crash_in = plan.messages if plan.stage == "changelog" else None
                changelog.crash_after_send = plan.stage == "store"
            await checkpointer.checkpoint()
            checkpoints += 1
    except Crash:
        pass
    finally:
        changelog.crash_in, changelog.crash_after_send = None, False
        olf.statistics.table.store.close()
    # Faust commits the offset after the last acknowledged message.
    return {tp: offset + 1 for tp, offset in acked.items()}


async def restart(
    data_dir: Path,
    stream: list[Sent],
    plan: Plan,
    changelog: FakeChangelog,
    committed: dict[Input, int],
    dead: DeadLetters,
) -> None:
    """Restore the changelog's tail, then process the rest of the input to the end."""
    store_url = "memory://" if plan.disk_lost else "rocksdb://"
    olf = build_olf(data_dir, dead, app_id=APP_ID, store_url=store_url)
    store = olf.statistics.table.store
    for partition, log in changelog.partitions.items():
        restored = store.rows(partition).changelog_offset()
        store.apply_changelog_records(partition, log[(restored or -1) + 1 :])
    for batch in as_batches(stream, plan.sizes, committed):
        await apply(batch, olf, dead)
    await Checkpointer(olf.statistics, changelog, lambda receipt: None).checkpoint()
    assert_equal_to_model(olf, stream)
    store.close()


def assert_equal_to_model(olf: Olf, stream: list[Sent]) -> None:
    model = ReferenceModel.of((sent, offset) for offset, sent in enumerate(stream))
    view = local_view(olf, UNIT_PARTITIONS)
    assert view.total("total") == model.total
    for dimension in ("country", "segment", "status"):
        assert view.counts(dimension) == model.counts(dimension)
    for customer_id, version in model.versions.items():
        state = olf.statistics.customer(customer_id)
        assert state is not None, customer_id
        assert state.version == version, customer_id
    want = model_answers(model)
    assert view_answers(view, list(want["series"])) == want


async def crash_and_restart(data_dir: Path, stream: list[Sent], plan: Plan) -> None:
    changelog = FakeChangelog()
    dead = RecordingDeadLetters()
    committed = await first_run(data_dir, stream, plan, changelog, dead)
    await restart(data_dir, stream, plan, changelog, committed, dead)
    # Every rejected message is dead-lettered at least once, and nothing else is.
    model = ReferenceModel.of((sent, offset) for offset, sent in enumerate(stream))
    sent_letters = {(p, o, key, value) for p, o, key, value in dead.as_tuples()}
    assert sent_letters == set(model.dead_letters) | set(model.order_dead_letters)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(streams=two_topic_streams(UNIT_PARTITIONS), plan=plans)
def test_a_crash_anywhere_in_a_checkpoint_changes_no_number(
    streams: tuple[list[Sent], list[Sent]], plan: Plan
) -> None:
    stream, _ = streams
    with tempfile.TemporaryDirectory() as data_dir:
        asyncio.run(crash_and_restart(Path(data_dir), stream, plan))
