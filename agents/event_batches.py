"""The agent that turns customer and order events into live statistics, a batch at a time.

One agent reads both topics, so one task changes a partition's state and
batches of the two topics are applied one after the other, never interleaved.
Partition *p* of ``customer-events`` and of ``order-events`` hold the same
customers (both are keyed by customer id) and Faust assigns co-partitioned
topics together, so the worker that owns a partition's customers owns their
orders: the join is local. What an event does is in :mod:`agents.customer_events`
and :mod:`agents.order_events`; for every message of either topic:

* A message that breaks its contract is *rejected*: it goes to its topic's
  dead-letter topic with its reason, is counted, and the agent goes on.
* A message at or below the partition's last processed offset of its topic
  was processed before a restart (the input is read again from the last
  committed offset) and is skipped: *already processed*.

The agent receives everything fetched of one topic partition at once
(:class:`~models.message_batch.MessageBatch`). It applies a batch in memory to
a draft of the partition's state and publishes the draft in one step, so
readers see whole batches. Each row touched by many events of a batch, or of
a checkpoint, is written once. Checkpoints (:mod:`tables.checkpoint`) make
the published changes durable and say why no crash can change a number.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import faust
from faust.types import AgentT, StreamT

from agents.customer_events import apply_customer_event
from agents.dead_letters import DeadLetters
from agents.event_time import Outcome
from agents.order_events import apply_order_event
from models.customer_event import CustomerEvent, parse_customer_event
from models.event_fields import InvalidEvent
from models.message_batch import InputMessage, MessageBatch
from models.order_event import OrderEvent, parse_order_event
from models.partition_stats import NOTHING_PROCESSED
from tables.statistics import Statistics

log = logging.getLogger(__name__)


def declare_events_agent(
    app: faust.App,
    topic: faust.TopicT,
    order_events: str,
    statistics: Statistics,
    dead_letters: DeadLetters,
    checkpoint_due: Callable[[int], Awaitable[object]] | None = None,
) -> AgentT[MessageBatch]:
    """Declare the ``apply_events`` agent on ``app``, reading ``topic``.

    ``topic`` names both input topics; batches of the one named
    ``order_events`` are order events, the others customer events.

    ``checkpoint_due`` is awaited with a partition's number of changed rows
    after each batch, so that a long burst is checkpointed before the
    partition's checkpoint record grows too large.
    """

    @app.agent(topic, name="apply_events")
    async def apply_events(batches: StreamT[MessageBatch]) -> AsyncIterator[list[Outcome]]:
        """Apply each batch of customer or order events to the statistics; yield their outcomes."""
        async for batch in batches:
            orders = batch.topic == order_events
            outcomes = await apply_batch(batch, statistics, dead_letters, orders=orders)
            if checkpoint_due is not None:
                await checkpoint_due(statistics.state(batch.partition).pending_rows)
            yield outcomes

    return apply_events


async def apply_batch(
    batch: MessageBatch, statistics: Statistics, dead_letters: DeadLetters, orders: bool = False
) -> list[Outcome]:
    """Apply ``batch`` (of ``order-events`` if ``orders``) to its partition's statistics.

    Returns each message's outcome. Rejected messages are queued to
    ``dead_letters`` before the batch is published, and the checkpoint that
    makes their count durable waits for them.
    """
    if not batch.messages:
        return []
    state = statistics.state(batch.partition)
    draft = state.draft()
    stats = draft.stats
    outcomes: list[Outcome] = []
    rejected: list[tuple[InputMessage, str]] = []
    processed = stats.order_offset if orders else stats.offset
    parse: Callable[[bytes | None, bytes | None], CustomerEvent | OrderEvent] = (
        parse_order_event if orders else parse_customer_event
    )
    last = processed
    for message in batch.messages:
        offset = message.offset
        if offset <= processed:
            outcomes.append(Outcome.ALREADY_PROCESSED)
            continue
        if NOTHING_PROCESSED < last < offset - 1:
            # Offsets are dense unless a producer used transactions (their commit
            # markers take offsets too); otherwise messages were skipped.
            log.warning(
                "Offset jump on %s[%d]: last processed %d, now %d",
                message.topic,
                batch.partition,
                last,
                offset,
            )
        last = offset
        event: CustomerEvent | OrderEvent
        try:
            event = parse(message.key, message.value)
        except InvalidEvent as rejection:
            rejected.append((message, rejection.reason))
            if orders:
                stats.count_order_rejected(offset)
            else:
                stats.count_rejected(offset)
            outcomes.append(Outcome.REJECTED)
            continue
        if isinstance(event, OrderEvent):
            outcomes.append(apply_order_event(draft, offset, event))
        else:
            outcomes.append(apply_customer_event(draft, offset, event))

    pending = [await dead_letters.publish(message, reason) for message, reason in rejected]
    if rejected:
        # One line per batch: a line per message cost more than the message.
        first, reason = rejected[0]
        log.warning(
            "Rejected %d message(s) of %s[%d] to the dead-letter topic, first at offset %d: %s",
            len(rejected),
            first.topic,
            batch.partition,
            first.offset,
            reason,
        )
    state.publish(draft, batch.receipt(), pending)
    return outcomes
