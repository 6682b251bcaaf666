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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

from faust.transport.drivers.aiokafka import Consumer
from faust.types import TP
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

from models.message_batch import BatchReceipt, MessageBatch

log = logging.getLogger(__name__)


@runtime_checkable
class ChangelogSink(Protocol):
    """Where changelog records go (OLF's recovery)."""

    def apply_changelog_records(self, tp: TP, records: Sequence[Any]) -> None: ...


@dataclass
class DeliveryCounts:
    """Batches and messages delivered to agents since the worker started, for ``/metrics``."""

    batches: int = 0
    messages: int = 0


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
                for tp, fetched in records.items():
                    if not self.flow_active or self.app.consumer_generation_id != generation:
                        break  # a rebalance began: what is left is fetched again
                    if (
                        active is not None
                        and tp not in active
                        and tp not in self._buffered_partitions
                    ):
                        continue
                    await self._deliver(tp, fetched, generation)
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

    async def _deliver(self, tp: TP, fetched: Sequence[Any], generation: int) -> None:
        """Deliver the records of one partition that were not delivered before, in order.

        The read offset moves past them only once they are delivered: a
        rebalance seeks it back, and must not be overtaken by a late update.
        """
        read_offset = self._read_offset[tp]
        fresh = [r for r in fetched if read_offset is None or r.offset >= read_offset]
        if not fresh:
            return
        self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
        if tp.topic in self.app.tables.changelog_topics:
            recovery = getattr(self.app.tables, "recovery", None)
            if not isinstance(recovery, ChangelogSink):
                raise TypeError("OLF's consumer needs OLF's recovery (app.workarounds.recovery)")
            recovery.apply_changelog_records(tp, fresh)
        elif not await self._deliver_input(tp, fresh, read_offset, generation):
            return
        self._read_offset[tp] = fresh[-1].offset

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
