"""What one order event does to a partition's statistics: the join with customers.

Semantics (docs/event-contract.md documents the same):

* An event is *applied* when its version is greater than the stored version
  of its order (orders are told apart by customer id and order id); the
  order's state becomes the event's (placed or cancelled, amount, currency).
  Otherwise it is a *duplicate* and changes no count.
* An order counts once among *placed* orders from the first of its events
  applied, and its amount counts in the *revenue* unless it is cancelled
  (:func:`models.order_state.order_change`).
* Orders count under their customer's **current** country and segment: each
  customer row keeps its order totals per currency, and a customer event
  that moves the customer moves them. Orders of a customer OLF has no
  attributes for (no event yet, or deleted) count under ``unknown``, and
  move to the customer's buckets when its ``created`` arrives. So the counts
  depend only on the latest applied version of every customer and every
  order, never on how the two topics interleaved.
* The ``orders.<currency>`` and ``revenue.<currency>`` time series get, in
  the window of the event's ``occurred_at``, what the event changed of the
  totals: they record when orders were placed and cancelled, and do not move
  with customers.
* An ``order.snapshot`` (republished by the Orders service) follows the same
  version rule and moves the totals, but it is no event in time: it adds to
  no series and does not move the newest event time.
"""

from __future__ import annotations

from agents.event_time import Outcome, count_in_window, prune_windows
from models.customer_state import CustomerState
from models.event_window import order_metric
from models.order_event import SNAPSHOT, OrderEvent
from models.order_state import OrderState, add_to_totals, order_change
from tables.partition_state import Draft


def apply_order_event(draft: Draft, offset: int, event: OrderEvent) -> Outcome:
    """Apply one valid order event, at ``order-events`` offset ``offset``, to ``draft``.

    Duplicates: version <= stored. A snapshot moves totals, never windows.
    """
    key = (event.customer_id, event.order_id)
    stored = draft.order(key)
    if stored is not None and event.version <= stored.version:
        draft.stats.count_order_duplicate(offset)
        return Outcome.DUPLICATE

    order = OrderState(event.version, event.cancelled, event.currency, event.amount)
    draft.put_order(key, order)
    changes = list(order_change(stored, order))
    customer = draft.customer(event.customer_id) or CustomerState(0, None)
    totals = customer.orders
    for currency, placed, revenue in changes:
        totals = add_to_totals(totals, currency, placed, revenue)
    draft.put_customer(event.customer_id, CustomerState(customer.version, customer.profile, totals))
    if event.type == SNAPSHOT:
        draft.stats.count_order(offset, None, customer.profile, changes)
        return Outcome.APPLIED

    event_time = event.occurred_at.timestamp()
    old_newest = draft.stats.newest_event_time
    draft.stats.count_order(offset, event_time, customer.profile, changes)
    prune_windows(draft, old_newest)
    for currency, placed, revenue in changes:
        if placed:
            count_in_window(draft, order_metric("orders", currency), event_time, placed)
        if revenue:
            count_in_window(draft, order_metric("revenue", currency), event_time, revenue)
    return Outcome.APPLIED
