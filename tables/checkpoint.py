"""Checkpoints: how the agent's changes become durable, in an order that survives any crash.

Faust commits input offsets every ``OLF_CHECKPOINT_INTERVAL`` seconds (and the
agent asks for a commit when a partition has many changed rows). Right before
each commit, :meth:`Checkpointer.checkpoint`:

1. seals every partition's changes (the agent goes on, into new ones);
2. waits until the dead letters those changes count as rejected are acknowledged;
3. sends each partition's *checkpoint record* (its stats and every row the
   checkpoint changed, see :mod:`tables.rows`) and then each changed row to
   the partition's changelog, and waits for every acknowledgement;
4. writes each partition's rows and stats to the local store in one write
   batch, with the changelog offset they reach;
5. acknowledges the input batches the changes hold; Faust then commits
   their offsets.

Why the numbers stay exact whatever crashes when:

* A partition's changelog keeps a prefix of what was sent to it, in order.
  Each checkpoint's record comes before its rows and carries them all, so
  replaying any prefix (a restore, or a standby copy) gives the state after
  one whole checkpoint: rows of a later checkpoint cannot be there without
  its record.
* The stats of that state record the last input offset the checkpoint
  covered. Input offsets are committed only after steps 3 and 4, so the
  committed offset is at most one past it: after a restart the input is read
  again from there and messages at or below it are skipped, the rest applied
  once.
* The local store is written only after the changelog acknowledged the same
  rows, and always with the changelog offset they reach, so it is never
  ahead of the changelog: a worker restarted after ``kill -9`` keeps it and
  reads only the changelog's tail.
* A dead letter is acknowledged before the rejection that counts it is
  durable, so none is lost (after a crash one may be sent again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder

from models.message_batch import BatchReceipt
from models.partition_stats import PartitionStats
from tables.durable_producer import DurableProducer
from tables.partition_state import Changes, PartitionState
from tables.rows import STATS_KEY, Row, encode_checkpoint
from tables.statistics import Statistics

log = logging.getLogger(__name__)

#: Bytes of changelog messages sent together in one record batch.
MAX_BATCH_BYTES = 512 * 1024
#: Largest produce request: a checkpoint record may exceed a batch, up to the
#: changelog topic's max.message.bytes (app.factory.CHANGELOG_MAX_MESSAGE_BYTES).
MAX_REQUEST_BYTES = 16 << 20


class Changelog(Protocol):
    """Where checkpoints send their messages."""

    async def send(self, partition: int, messages: Sequence[Row]) -> asyncio.Future[int]:
        """Queue ``messages`` for ``partition`` in order; the future gives the last one's offset."""


class ChangelogWriter:
    """Sends changelog messages in order, in whole record batches, with ``acks=all``."""

    def __init__(self, bootstrap_servers: list[str], topic: str) -> None:
        self.topic = topic
        self.durable = DurableProducer(
            bootstrap_servers, max_batch_size=MAX_BATCH_BYTES, max_request_size=MAX_REQUEST_BYTES
        )

    @property
    def producer(self) -> AIOKafkaProducer:
        return self.durable.producer

    async def send(self, partition: int, messages: Sequence[Row]) -> asyncio.Future[int]:
        """Queue ``messages`` for ``partition``; the future gives the last one's offset."""
        sent: list[tuple[asyncio.Future[object], int]] = []
        batch: BatchBuilder = self.producer.create_batch()
        count = 0
        for key, value in messages:
            if batch.append(key=key, value=value, timestamp=None) is None:
                sent.append((await self._send(batch, partition), count))
                batch, count = self.producer.create_batch(), 0
                batch.append(key=key, value=value, timestamp=None)
            count += 1
        sent.append((await self._send(batch, partition), count))
        last_batch, last_count = sent[-1]

        async def last_offset() -> int:
            await asyncio.gather(*(future for future, _ in sent))
            base = last_batch.result().offset  # type: ignore[attr-defined]
            return int(base) + last_count - 1

        return asyncio.ensure_future(last_offset())

    async def _send(self, batch: BatchBuilder, partition: int) -> asyncio.Future[object]:
        future: asyncio.Future[object] = await self.producer.send_batch(
            batch, self.topic, partition=partition
        )
        return future


@dataclass
class CheckpointTotals:
    """What checkpoints did since the worker started, for ``/metrics``."""

    checkpoints: int = 0
    changelog_messages: int = 0
    seconds: float = 0.0


class Checkpointer:
    """Makes the live changes of every partition durable (see the module's docstring)."""

    def __init__(
        self,
        statistics: Statistics,
        writer: Changelog,
        ack: Callable[[BatchReceipt], object],
    ) -> None:
        self.statistics = statistics
        self.writer = writer
        self.ack = ack
        self.totals = CheckpointTotals()

    async def checkpoint(self) -> None:
        """Make every change published so far durable, then acknowledge its input."""
        started = time.monotonic()
        sealed: list[tuple[PartitionState, PartitionStats, list[Row], Changes]] = []
        for state in list(self.statistics.states.values()):
            seal = state.seal()
            if seal is not None:
                stats, changes = seal
                sealed.append((state, stats, list(changes.rows()), changes))
        if not sealed:
            return
        try:
            await asyncio.gather(*(dead for *_, changes in sealed for dead in changes.dead_letters))
            offsets = [
                await self.writer.send(
                    state.partition, [(STATS_KEY, encode_checkpoint(stats, rows)), *rows]
                )
                for state, stats, rows, _ in sealed
            ]
            reached = await asyncio.gather(*offsets)
        except BaseException:
            # Nothing was stored or acknowledged: the next checkpoint writes
            # these changes again, with a newer record that covers them all.
            for state, *_ in sealed:
                state.unseal()
            raise
        for (state, stats, rows, changes), offset in zip(sealed, reached, strict=True):
            stored = [*rows, (STATS_KEY, stats.encode())]
            self.statistics.table.store.write_checkpoint(state.partition, stored, offset)
            state.settle()
            for receipt in changes.batches:
                self.ack(receipt)
            self.totals.changelog_messages += len(rows) + 1
        self.totals.checkpoints += 1
        self.totals.seconds += time.monotonic() - started
