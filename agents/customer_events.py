"""What one customer event does to a partition's statistics.

Semantics (docs/event-contract.md documents the same):

* An event is *applied* when its version is greater than the stored version
  of its customer (0 for an unknown one): the customer's state becomes the
  event's profile, or a tombstone for ``customer.deleted``. Gaps are fine,
  since every event carries the full state. Applied events are counted in
  event-time windows by type (signups, updates, deletions).
* The customer's orders (:mod:`agents.order_events`) count under its current
  country and segment, so an applied event that changes them moves the
  customer's order totals to the new buckets (or to ``unknown`` when deleted).
* Otherwise it is a *duplicate* (a retry or replay) and changes no count.
* A ``customer.snapshot`` restates a customer's current state (republished
  by its owner so that a new deployment can rebuild counts whose events the
  topic no longer holds). It is applied by the same version rule and moves
  the counts like any change, but nothing happened at its time: it is
  counted in no window and does not move the partition's newest event time.
"""

from __future__ import annotations

from agents.event_time import Outcome, count_in_window, prune_windows
from models.customer_event import SNAPSHOT, CustomerEvent
from models.customer_state import CustomerState
from models.event_window import METRIC_OF_TYPE
from models.order_state import NO_ORDERS
from tables.partition_state import Draft


def apply_customer_event(draft: Draft, offset: int, event: CustomerEvent) -> Outcome:
    """Apply one valid customer event, at input ``offset``, to ``draft``.

    Duplicates: version <= stored. A snapshot moves counts, never windows.
    """
    stored = draft.customer(event.customer_id)
    if stored is not None and event.version <= stored.version:
        draft.stats.count_duplicate(offset)
        return Outcome.DUPLICATE

    before = stored.profile if stored is not None else None
    orders = stored.orders if stored is not None else NO_ORDERS
    draft.put_customer(event.customer_id, CustomerState(event.version, event.profile, orders))
    if orders:
        draft.stats.move_orders(orders, before, event.profile)
    if event.type == SNAPSHOT:
        # Still "applied" in the event counters: those say what became of each
        # message (applied + duplicates + rejected = messages processed); the
        # time series say what happened to customers, and a snapshot is no change.
        draft.stats.count_applied(offset, None, before, event.profile)
        return Outcome.APPLIED

    event_time = event.occurred_at.timestamp()
    old_newest = draft.stats.newest_event_time
    draft.stats.count_applied(offset, event_time, before, event.profile)
    prune_windows(draft, old_newest)
    count_in_window(draft, METRIC_OF_TYPE[event.type], event_time)
    return Outcome.APPLIED
