"""The agent that turns customer events into live statistics, a batch at a time.

Semantics (docs/event-contract.md documents the same):

* An event is *applied* when its version is greater than the stored version
  of its customer (0 for an unknown one): the customer's state becomes the
  event's profile, or a tombstone for ``customer.deleted``. Gaps are fine,
  since every event carries the full state. Applied events are counted in
  event-time windows by type (signups, updates, deletions).
* Otherwise it is a *duplicate* (a retry or replay) and changes no count.
* A ``customer.snapshot`` restates a customer's current state (republished
  by its owner so that a new deployment can rebuild counts whose events the
  topic no longer holds). It is applied by the same version rule and moves
  the counts like any change, but nothing happened at its time: it is
  counted in no window and does not move the partition's newest event time.
* A message that breaks the contract is *rejected*: it goes to the
  dead-letter topic with its reason, is counted, and the agent goes on.
* A message at or below the partition's last processed offset was processed
  before a restart (the input is read again from the last committed offset)
  and is skipped: *already processed*.

The agent receives everything fetched of one partition at once
(:class:`~models.message_batch.MessageBatch`). It applies a batch in memory to
a draft of the partition's state and publishes the draft in one step, so
readers see whole batches. Each row touched by many events of a batch, or of
a checkpoint, is written once. Checkpoints (:mod:`tables.checkpoint`) make
the published changes durable and say why no crash can change a number.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum

import faust
from faust.types import AgentT, StreamT

from agents.dead_letters import DeadLetters
from models.customer_event import SNAPSHOT, CustomerEvent, InvalidEvent, parse_customer_event
from models.customer_state import CustomerState
from models.event_window import HOUR, METRIC_OF_TYPE, METRICS, retention_cutoff, window_start
from models.message_batch import InputMessage, MessageBatch
from models.partition_stats import NOTHING_PROCESSED
from tables.partition_state import Draft
from tables.statistics import Statistics

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What processing one message did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    #: Processed before a restart; skipped.
    ALREADY_PROCESSED = "already-processed"


def declare_customer_events_agent(
    app: faust.App,
    topic: faust.TopicT,
    statistics: Statistics,
    dead_letters: DeadLetters,
    checkpoint_due: Callable[[int], Awaitable[object]] | None = None,
) -> AgentT[MessageBatch]:
    """Declare the ``apply_customer_events`` agent on ``app``, reading ``topic``.

    ``checkpoint_due`` is awaited with a partition's number of changed rows
    after each batch, so that a long burst is checkpointed before the
    partition's checkpoint record grows too large.
    """

    @app.agent(topic, name="apply_customer_events")
    async def apply_customer_events(batches: StreamT[MessageBatch]) -> AsyncIterator[list[Outcome]]:
        """Apply each batch of customer events to the statistics; yield their outcomes."""
        async for batch in batches:
            outcomes = await apply_batch(batch, statistics, dead_letters)
            if checkpoint_due is not None:
                await checkpoint_due(statistics.state(batch.partition).pending_rows)
            yield outcomes

    return apply_customer_events


async def apply_batch(
    batch: MessageBatch, statistics: Statistics, dead_letters: DeadLetters
) -> list[Outcome]:
    """Apply ``batch`` to its partition's statistics; return each message's outcome.

    Rejected messages are queued to ``dead_letters`` before the batch is
    published, and the checkpoint that makes their count durable waits for them.
    """
    if not batch.messages:
        return []
    state = statistics.state(batch.partition)
    draft = state.draft()
    outcomes: list[Outcome] = []
    rejected: list[tuple[InputMessage, str]] = []
    last = draft.stats.offset
    for message in batch.messages:
        offset = message.offset
        if offset <= draft.stats.offset:
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
        try:
            event = parse_customer_event(message.key, message.value)
        except InvalidEvent as rejection:
            rejected.append((message, rejection.reason))
            draft.stats.count_rejected(offset)
            outcomes.append(Outcome.REJECTED)
            continue
        outcomes.append(apply_event(draft, offset, event))

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


def apply_event(draft: Draft, offset: int, event: CustomerEvent) -> Outcome:
    """Apply one valid event, at input ``offset``, to ``draft``.

    Duplicates: version <= stored. A snapshot moves counts, never windows.
    """
    stored = draft.customer(event.customer_id)
    if stored is not None and event.version <= stored.version:
        draft.stats.count_duplicate(offset)
        return Outcome.DUPLICATE

    before = stored.profile if stored is not None else None
    draft.put_customer(event.customer_id, CustomerState(event.version, event.profile))
    if event.type == SNAPSHOT:
        # Still "applied" in the event counters: those say what became of each
        # message (applied + duplicates + rejected = messages processed); the
        # time series say what happened to customers, and a snapshot is no change.
        draft.stats.count_applied(offset, None, before, event.profile)
        return Outcome.APPLIED

    event_time = event.occurred_at.timestamp()
    old_newest = draft.stats.newest_event_time
    draft.stats.count_applied(offset, event_time, before, event.profile)
    newest = draft.stats.newest_event_time or event_time
    if old_newest is not None and window_start(newest, HOUR) > window_start(old_newest, HOUR):
        prune_windows(draft, old_newest, newest)  # the cut-off moves by whole hours only
    count_in_window(draft, event, event_time, newest)
    return Outcome.APPLIED


def count_in_window(draft: Draft, event: CustomerEvent, event_time: float, newest: float) -> None:
    """Count an applied event in its hour window, unless it is older than anything kept.

    ``newest`` is the partition's newest event time, this event included.
    """
    hour = window_start(event_time, HOUR)
    if hour < retention_cutoff(newest):
        return  # it would only be pruned again
    draft.window_to_change(METRIC_OF_TYPE[event.type], hour).add_event(event_time)


def prune_windows(draft: Draft, old_newest: float, new_newest: float) -> None:
    """Delete the windows that fell out of retention when the newest event time advanced.

    No window is older than the old cut-off (none is counted behind the
    cut-off of its moment, and each move of the cut-off prunes what it
    passes) nor newer than the old newest hour, so only those hours are looked at.
    """
    old_cutoff, new_cutoff = retention_cutoff(old_newest), retention_cutoff(new_newest)
    last = min(new_cutoff, window_start(old_newest, HOUR) + HOUR)
    for hour in range(old_cutoff, last, HOUR):
        for metric in METRICS:
            draft.delete_window(metric, hour)
