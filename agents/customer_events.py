"""The agent that turns customer events into live statistics.

Semantics (the contract the README documents):

* An event is *applied* when its version is greater than the stored version
  of its customer (0 for an unknown one); the customer's state becomes the
  event's profile, or a tombstone for ``customer.deleted``. Gaps are fine:
  every event carries the full state.
* Otherwise it is a *duplicate* (a retry or replay) and changes no count.
* A message that breaks the contract is *rejected*: logged with its reason
  and position, counted, and skipped; the agent goes on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from enum import StrEnum

import faust
from faust.types import AgentT, EventT, StreamT

from models.customer_event import InvalidEvent, parse_customer_event
from models.customer_state import CustomerState
from models.partition_stats import PartitionStats
from tables.customer_tables import CustomerTables

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What processing one message did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


def declare_customer_events_agent(
    app: faust.App, topic: faust.TopicT, tables: CustomerTables
) -> AgentT[bytes]:
    """Declare the ``apply_customer_events`` agent on ``app``, reading ``topic``."""

    @app.agent(topic, name="apply_customer_events")
    async def apply_customer_events(stream: StreamT[bytes]) -> AsyncIterator[str]:
        """Apply each customer event to the tables; yield its :class:`Outcome`."""
        async for event in stream.events():
            yield apply_customer_event(event, tables)

    return apply_customer_events


def apply_customer_event(event: EventT[bytes], tables: CustomerTables) -> Outcome:
    """Apply one message to ``tables`` and return what it did.

    Runs without awaiting, so a web view never observes half an update.
    """
    message = event.message
    partition = message.partition
    stats: PartitionStats = tables.partition_stats.get(partition) or PartitionStats()
    try:
        customer_event = parse_customer_event(event.key, event.value)
    except InvalidEvent as rejection:
        log.warning(
            "Rejected message at %s[%d]@%d: %s",
            message.topic,
            partition,
            message.offset,
            rejection.reason,
        )
        tables.partition_stats[partition] = stats.with_rejected()
        return Outcome.REJECTED

    stored: CustomerState | None = tables.customers.get(customer_event.customer_id)
    stored_version = stored.version if stored is not None else 0
    if customer_event.version <= stored_version:
        tables.partition_stats[partition] = stats.with_duplicate()
        return Outcome.DUPLICATE

    before = stored.profile if stored is not None else None
    tables.customers[customer_event.customer_id] = CustomerState.of(
        customer_event.version, customer_event.profile
    )
    tables.partition_stats[partition] = stats.with_applied(before, customer_event.profile)
    return Outcome.APPLIED
