"""Whole fetches to the agent and to table recovery: a workaround for Faust's per-message path.

faust-streaming 0.15's ``Consumer._drain_messages`` hands the conductor one
message at a time, each wrapped in ``wait_first(callback(message),
suspend_flow.wait())`` (two asyncio tasks per message), then decodes it into an
event, queues it, runs sensors and acks it one by one; table recovery pulls
changelog events one by one through ``asyncio.wait_for`` (a task each) and
recomputes what remains to restore after every event. On a 2-core machine a
bare agent that only parses and counts reached 4,000-8,000 events/s that way,
and restoring a changelog about 6,000 rows/s, while the same messages,
delivered as whole fetches, were parsed and counted at over 70,000/s.

:class:`BatchingConsumer` keeps Faust's consumer (group membership, fetching in
its thread, flow control, read offsets, gaps, acks and commits) but delivers
what one fetch returned for one partition at once:

* input messages go to the agent's channel as one
  :class:`~models.message_batch.MessageBatch` (its stream yields the batch);
  the checkpoint acknowledges them once their effect is durable, and every
  commit is preceded by a checkpoint (:mod:`tables.checkpoint`);
* changelog records go straight to recovery (:mod:`.recovery`), which applies
  them to the store in one write batch.

Faust's per-message sensors therefore do not see these messages; OLF counts
them per batch instead (``olf_batches_total``, ``olf_batch_messages_total``).
``tests/unit/test_batch_delivery.py`` shows both paths.

**What a rebalance interrupts is fetched again.** A fetch may return while a
rebalance has stopped the flow. faust-streaming 0.15 then drops what it
fetched and seeks "back to committed offsets"; aiokafka 0.14's
``seek_to_committed`` leaves a partition without a committed offset where it
is, so that partition's dropped records are never fetched again. Seen in
tests: a worker that took over, after ``kill -9`` of its peer, partitions the
peer had never committed fetched them whole from offset 0 while its recovery
had stopped the flow, dropped them, and waited for the rest of the test with
the lag stuck; had more events come, it would have skipped those silently.
OLF moves each partition's position back to its first undelivered record
(:func:`seek_back`, backwards only); ``tests/unit/test_reading_again.py``
shows Faust's, aiokafka's and OLF's behaviour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError
from faust.transport.drivers.aiokafka import Consumer
from faust.types import TP
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

from models.message_batch import BatchReceipt, MessageBatch

log = logging.getLogger(__name__)

#: Seconds to wait for the position of a partition whose assignment is new.
POSITION_TIMEOUT = 1.0


@runtime_checkable
class ChangelogSink(Protocol):
    """Where changelog records go (OLF's recovery)."""

    def apply_changelog_records(self, tp: TP, records: Sequence[Any]) -> None: ...


@dataclass
class DeliveryCounts:
    """Batches and messages delivered to agents since the worker started, for ``/metrics``."""

    batches: int = 0
    messages: int = 0


async def seek_back(
    consumer: AIOKafkaConsumer, firsts: Mapping[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Move each assigned partition's fetch position back to ``firsts[tp]``; return the moves.

    Only backwards: reading a record again is harmless (the agent skips
    what it processed), skipping one is not. A partition no longer assigned,
    or newly assigned and still waiting for its position, is left alone: a
    new assignment starts from the committed offset or, without one, from the
    beginning.
    """
    moved = {}
    assigned = consumer.assignment()
    for tp, first in firsts.items():
        if tp not in assigned:
            continue
        try:
            position = await asyncio.wait_for(consumer.position(tp), POSITION_TIMEOUT)
        except (IllegalStateError, TimeoutError):
            continue
        if first < position:
            consumer.seek(tp, first)
            moved[tp] = first
    return moved


class BatchingConsumer(Consumer):
    """Faust's aiokafka consumer, delivering whole fetches per partition (see the module)."""

    #: Run before every commit, so that committed offsets are durable (the checkpoint).
    before_commit: Callable[[], Awaitable[None]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delivered = DeliveryCounts()

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        if self.before_commit is not None:
            # Acknowledges what became durable; the commit below covers exactly that.
            await self.before_commit()
        committed: bool = await super().force_commit(
            topics, start_new_transaction=start_new_transaction
        )
        return committed

    def acknowledge(self, receipt: BatchReceipt) -> None:
        """Acknowledge a delivered batch, so that Faust's next commit covers it.

        Faust's own ``ack`` takes one message at a time; this records the
        batch's offsets in the same structures under the same lock. Batches are
        not added to Faust's set of unacknowledged messages: a batch the agent
        has not published when the worker stops or loses the partition is
        simply read again, and keeping a message of each would hold memory.
        """
        tp = TP(receipt.topic, receipt.partition)
        with ack_lock:
            committed = self._committed_offset[tp]
            first = (
                receipt.first_offset if committed is None else max(receipt.first_offset, committed)
            )
            index = self._acked_index[tp]
            new = [
                offset for offset in range(first, receipt.last_offset + 1) if offset not in index
            ]
            index.update(new)
            self._acked[tp].extend(new)
            self._n_acked += len(new)
            notify(self._waiting_for_ack)

    async def _drain_messages(self, fetcher: Any) -> None:
        """Replaces Faust's per-message loop: one delivery per fetched partition."""
        try:
            while not (self._stopped.is_set() or fetcher._stopped.is_set()):
                records, active = await self._wait_next_records(1.0)
                if not records or self.should_stop:
                    await asyncio.sleep(0)
                    continue
                generation = self.app.consumer_generation_id
                fetched = list(records.items())
                for index, (tp, batch) in enumerate(fetched):
                    if not self.flow_active or self.app.consumer_generation_id != generation:
                        await self._read_again(fetched[index:])  # a rebalance began
                        break
                    if (
                        active is not None
                        and tp not in active
                        and tp not in self._buffered_partitions
                    ):
                        await self._read_again([(tp, batch)])  # paused since the fetch
                        continue
                    if not await self._deliver(tp, batch, generation):
                        await self._read_again(fetched[index:])
                        break
                    await asyncio.sleep(0)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise

    async def _read_again(self, undelivered: Sequence[tuple[TP, Sequence[Any]]]) -> None:
        """Move the fetch position of each partition back to its first undelivered record."""
        firsts = {
            TopicPartition(tp.topic, tp.partition): batch[0].offset
            for tp, batch in undelivered
            if batch
        }
        if firsts:
            await self._thread.call_thread(self._seek_back, firsts)

    async def _seek_back(self, firsts: Mapping[TopicPartition, int]) -> None:
        """In the consumer's thread: :func:`seek_back` on its aiokafka consumer."""
        for tp, offset in (await seek_back(self._thread._ensure_consumer(), firsts)).items():
            log.info(
                "Fetched records of %s[%d] were not delivered; reading again from offset %d",
                tp.topic,
                tp.partition,
                offset,
            )

    async def _deliver(self, tp: TP, fetched: Sequence[Any], generation: int) -> bool:
        """Deliver the records of one partition that were not delivered before, in order.

        Returns False, delivering nothing, if a rebalance began first. The read
        offset moves past the records only once they are delivered: a
        rebalance seeks it back, and must not be overtaken by a late update.
        """
        read_offset = self._read_offset[tp]
        fresh = [r for r in fetched if read_offset is None or r.offset >= read_offset]
        if not fresh:
            return True
        self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
        if tp.topic in self.app.tables.changelog_topics:
            recovery = getattr(self.app.tables, "recovery", None)
            if not isinstance(recovery, ChangelogSink):
                raise TypeError("OLF's consumer needs OLF's recovery (app.workarounds.recovery)")
            recovery.apply_changelog_records(tp, fresh)
        elif not await self._deliver_input(tp, fresh, read_offset, generation):
            return False
        self._read_offset[tp] = fresh[-1].offset
        return True

    async def _deliver_input(
        self, tp: TP, fresh: Sequence[Any], read_offset: int | None, generation: int
    ) -> bool:
        """Put one batch into the channels reading ``tp``; False if a rebalance came first."""
        # Flow control is suspended while a rebalance seeks the input back;
        # deliver nothing fetched before it (see app.workarounds.recovery).
        await self.app.flow_control.acquire()
        if self.app.consumer_generation_id != generation:
            return False
        if self.app.topics.acks_enabled_for(tp.topic):
            # Offsets the broker never returns (transaction markers) must not
            # stop commits: Faust records them as gaps, and so does OLF.
            previous = read_offset
            for record in fresh:
                if previous and record.offset - previous > 1:
                    await self._add_gap(tp, previous + 1, record.offset)
                previous = record.offset
        batch = MessageBatch(tp.topic, tp.partition, fresh, generation)
        for channel in list(self.app.topics):
            # The streams' own channels: Faust registers one per stream reading a topic.
            if getattr(channel, "is_iterator", False) and tp.topic in getattr(
                channel, "topics", ()
            ):
                await channel.put(cast(Any, batch))  # the agent's stream yields it as is
        self.delivered.batches += 1
        self.delivered.messages += len(fresh)
        return True
