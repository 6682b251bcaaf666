"""The live rows of one partition this worker processes, over its stored rows.

Reads look in three layers, newest first:

1. ``changes``: what the agent published since the last checkpoint began;
2. ``sealed``: the changes a checkpoint is writing now (see :mod:`tables.checkpoint`);
3. the stored rows (:mod:`tables.partition_rows`), which hold every finished checkpoint.

The agent applies a batch to a :class:`Draft` and publishes it in one
synchronous step, so a reader, a checkpoint or a web view sees whole batches
only, never half of one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Final

from models.customer_state import CustomerState
from models.event_window import HourWindow
from models.message_batch import BatchReceipt
from models.order_state import OrderState
from models.partition_stats import PartitionStats
from tables.partition_rows import PartitionRows
from tables.rows import STATS_KEY, Row, customer_key, order_key, window_key

#: A window key: (metric, hour start).
WindowKey = tuple[str, int]
#: An order's key: (customer id, order id).
OrderKey = tuple[str, str]
_MISSING: Final = object()


@dataclass
class Changes:
    """Rows changed since a point in time, and what must follow once they are durable."""

    customers: dict[str, CustomerState] = field(default_factory=dict)
    orders: dict[OrderKey, OrderState] = field(default_factory=dict)
    #: None: the window was deleted.
    windows: dict[WindowKey, HourWindow | None] = field(default_factory=dict)
    #: Input batches whose effect these changes hold: acknowledged once durable.
    #: Receipts, not the messages: kept messages would pin Python's memory
    #: arenas full of each batch's garbage until the checkpoint.
    batches: list[BatchReceipt] = field(default_factory=list)
    #: Dead letters these changes count as rejected: durable before the changes are.
    dead_letters: list[Awaitable[object]] = field(default_factory=list)

    def absorb(self, newer: Changes) -> None:
        """Add ``newer`` changes to these: its rows replace the same rows here."""
        self.customers.update(newer.customers)
        self.orders.update(newer.orders)
        self.windows.update(newer.windows)
        self.batches.extend(newer.batches)
        self.dead_letters.extend(newer.dead_letters)

    def rows(self) -> Iterator[Row]:
        """The changed rows as stored."""
        for customer_id, state in self.customers.items():
            yield customer_key(customer_id), state.encode()
        for (customer_id, order_id), order in self.orders.items():
            yield order_key(customer_id, order_id), order.encode()
        for (metric, hour), window in self.windows.items():
            yield window_key(metric, hour), None if window is None else window.encode()


class PartitionState:
    """Published stats and pending changes of one partition, readable at any time."""

    def __init__(self, partition: int, stored: PartitionRows) -> None:
        self.partition = partition
        self.stored = stored
        raw = stored.get(STATS_KEY)
        self.stats = PartitionStats() if raw is None else PartitionStats.decode(raw)
        self.changes = Changes()
        self.sealed: Changes | None = None
        #: Windows published since the read side last took them (see
        #: :meth:`take_published_windows`); None: deleted.
        self.published_windows: dict[WindowKey, HourWindow | None] = {}

    def customer(self, customer_id: str) -> CustomerState | None:
        state = self.changes.customers.get(customer_id)
        if state is None and self.sealed is not None:
            state = self.sealed.customers.get(customer_id)
        if state is None:
            raw = self.stored.get(customer_key(customer_id))
            state = None if raw is None else CustomerState.decode(raw)
        return state

    def order(self, key: OrderKey) -> OrderState | None:
        state = self.changes.orders.get(key)
        if state is None and self.sealed is not None:
            state = self.sealed.orders.get(key)
        if state is None:
            raw = self.stored.get(order_key(*key))
            state = None if raw is None else OrderState.decode(raw)
        return state

    def window(self, metric: str, hour_start: int) -> HourWindow | None:
        """The window as of the last published batch; callers must not change it."""
        key = (metric, hour_start)
        window = self.changes.windows.get(key, _MISSING)
        if window is _MISSING and self.sealed is not None:
            window = self.sealed.windows.get(key, _MISSING)
        if window is _MISSING:
            raw = self.stored.get(window_key(metric, hour_start))
            return None if raw is None else HourWindow.decode(raw)
        assert window is None or isinstance(window, HourWindow)
        return window

    def draft(self) -> Draft:
        """A draft to apply the next batch to."""
        return Draft(self)

    def publish(
        self, draft: Draft, batch: BatchReceipt, dead_letters: list[Awaitable[object]]
    ) -> None:
        """Make ``draft`` the current state; ``batch`` is the batch it applied."""
        self.changes.absorb(
            Changes(draft.customers, draft.orders, draft.windows, [batch], dead_letters)
        )
        self.published_windows.update(draft.windows)
        self.stats = draft.stats

    def take_published_windows(self) -> dict[WindowKey, HourWindow | None]:
        """The windows published since the last call, or since this state was loaded.

        For the read side (:mod:`app.queries.local_reports`), which keeps the
        series of this partition in step without reading every kept window again.
        """
        published, self.published_windows = self.published_windows, {}
        return published

    def seal(self) -> tuple[PartitionStats, Changes] | None:
        """Start a checkpoint: the stats and changes it writes, or None if nothing changed."""
        if self.sealed is not None:
            raise RuntimeError(f"partition {self.partition} is already being checkpointed")
        changes = self.changes
        if not (changes.customers or changes.orders or changes.windows or changes.batches):
            return None
        self.sealed, self.changes = changes, Changes()
        return self.stats, changes

    def unseal(self) -> None:
        """The checkpoint failed: its changes are pending again, under newer ones."""
        sealed, self.sealed = self.sealed, None
        if sealed is None:
            return
        sealed.absorb(self.changes)
        self.changes = sealed

    def settle(self) -> None:
        """The sealed changes are stored: read them from there from now on."""
        self.sealed = None

    @property
    def pending_rows(self) -> int:
        """Rows changed since the last checkpoint began."""
        changes = self.changes
        return len(changes.customers) + len(changes.orders) + len(changes.windows)


class Draft:
    """A batch's changes to one partition before they are published.

    Reads see the draft's own writes first; nothing it holds is shared with
    the published state, so abandoning a draft changes nothing.
    """

    def __init__(self, state: PartitionState) -> None:
        self.state = state
        self.stats = state.stats.copy()
        self.customers: dict[str, CustomerState] = {}
        self.orders: dict[OrderKey, OrderState] = {}
        self.windows: dict[WindowKey, HourWindow | None] = {}

    def customer(self, customer_id: str) -> CustomerState | None:
        state = self.customers.get(customer_id)
        return state if state is not None else self.state.customer(customer_id)

    def put_customer(self, customer_id: str, state: CustomerState) -> None:
        self.customers[customer_id] = state

    def order(self, key: OrderKey) -> OrderState | None:
        state = self.orders.get(key)
        return state if state is not None else self.state.order(key)

    def put_order(self, key: OrderKey, state: OrderState) -> None:
        self.orders[key] = state

    def window_to_change(self, metric: str, hour_start: int) -> HourWindow:
        """The window to count an event in: the draft's own copy, made on first use."""
        key = (metric, hour_start)
        window = self.windows.get(key)
        if window is None:
            published = None if key in self.windows else self.state.window(metric, hour_start)
            window = HourWindow() if published is None else published.copy()
            self.windows[key] = window
        return window

    def delete_window(self, metric: str, hour_start: int) -> None:
        """Delete the window if it exists (so nothing is written for windows never kept)."""
        key = (metric, hour_start)
        exists = (
            self.windows[key] is not None
            if key in self.windows
            else (self.state.window(metric, hour_start) is not None)
        )
        if exists:
            self.windows[key] = None
