"""Live statistics of one input partition: the unit OLF stores and merges.

Every customer lives in exactly one partition of ``customer-events`` (the key
is the customer id), and its orders in the same partition of ``order-events``
(keyed by customer id too), so per-partition counts never overlap and the
whole picture is the sum over partitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from models.customer_event import CustomerProfile
from models.json_rows import dump_row
from models.order_state import OrderTotals

DIMENSIONS: Final = ("country", "segment", "status")
#: The dimensions orders are counted by: their customer's attributes.
ORDER_DIMENSIONS: Final = ("country", "segment")
#: The bucket of orders whose customer has no attributes (not known yet, or deleted).
UNKNOWN: Final = "unknown"
#: ``offset`` of a partition that has processed nothing yet.
NOTHING_PROCESSED: Final = -1
#: Version of the stored row layout (see :mod:`tables.rows`); older layouts are refused.
ROW_FORMAT: Final = 3

#: Orders of one bucket and currency: (bucket, currency) -> (placed, revenue units).
OrderCounts = dict[tuple[str, str], tuple[int, int]]


class UnknownRowFormat(ValueError):
    """A stored row was written in a layout this version of OLF cannot read."""


@dataclass(slots=True)
class PartitionStats:
    """Counts over the customers and orders of one partition, plus event outcome counters.

    ``offset`` is the ``customer-events`` offset of the last message processed
    (applied, duplicate or rejected), ``order_offset`` the ``order-events``
    one; ``newest_event_time`` the largest ``occurred_at`` (epoch seconds) of
    an applied change event of either topic (snapshots do not count).
    ``orders_by_country`` and ``orders_by_segment`` count each order under its
    customer's current attribute, or :data:`UNKNOWN`; ``order_currencies`` are
    the currencies whose time series this partition has windows of.

    The agent changes a :meth:`copy` while it processes a batch and then
    publishes it; a published object is never changed again, so a reader
    holding one sees one consistent moment.
    """

    offset: int = NOTHING_PROCESSED
    total: int = 0
    by_country: dict[str, int] = field(default_factory=dict)
    by_segment: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    newest_event_time: float | None = None
    order_offset: int = NOTHING_PROCESSED
    order_applied: int = 0
    order_duplicates: int = 0
    order_rejected: int = 0
    orders_by_country: OrderCounts = field(default_factory=dict)
    orders_by_segment: OrderCounts = field(default_factory=dict)
    order_currencies: tuple[str, ...] = ()

    def counts(self, dimension: str) -> dict[str, int]:
        """Customers per bucket of ``dimension`` (one of :data:`DIMENSIONS`)."""
        return {
            "country": self.by_country,
            "segment": self.by_segment,
            "status": self.by_status,
        }[dimension]

    def copy(self) -> PartitionStats:
        """A copy to change, sharing nothing mutable with this one."""
        return PartitionStats(
            offset=self.offset,
            total=self.total,
            by_country=dict(self.by_country),
            by_segment=dict(self.by_segment),
            by_status=dict(self.by_status),
            applied=self.applied,
            duplicates=self.duplicates,
            rejected=self.rejected,
            newest_event_time=self.newest_event_time,
            order_offset=self.order_offset,
            order_applied=self.order_applied,
            order_duplicates=self.order_duplicates,
            order_rejected=self.order_rejected,
            orders_by_country=dict(self.orders_by_country),
            orders_by_segment=dict(self.orders_by_segment),
            order_currencies=self.order_currencies,
        )

    def order_counts(self, dimension: str) -> OrderCounts:
        """Orders per (bucket, currency) of ``dimension`` (one of :data:`ORDER_DIMENSIONS`)."""
        return {"country": self.orders_by_country, "segment": self.orders_by_segment}[dimension]

    def count_applied(
        self,
        offset: int,
        event_time: float | None,
        before: CustomerProfile | None,
        after: CustomerProfile | None,
    ) -> None:
        """Count the event at ``offset`` that moved a customer from ``before`` to ``after``.

        None stands for "not an existing customer" (unknown or deleted).
        Buckets that drop to zero disappear. ``event_time`` is None for a
        snapshot, whose time says when it was taken, not when anything
        happened, so it must not move ``newest_event_time`` (and with it the
        time series' retention).
        """
        if before is not None:
            self.total -= 1
            _add(self.by_country, before.country, -1)
            _add(self.by_segment, before.segment, -1)
            _add(self.by_status, before.status, -1)
        if after is not None:
            self.total += 1
            _add(self.by_country, after.country, 1)
            _add(self.by_segment, after.segment, 1)
            _add(self.by_status, after.status, 1)
        self.offset = offset
        self.applied += 1
        if event_time is not None:
            self._saw_event_at(event_time)

    def move_orders(
        self, orders: OrderTotals, before: CustomerProfile | None, after: CustomerProfile | None
    ) -> None:
        """A customer with ``orders`` changed from ``before`` to ``after``: move its orders."""
        for dimension, counts in (
            ("country", self.orders_by_country),
            ("segment", self.orders_by_segment),
        ):
            old, new = _bucket(before, dimension), _bucket(after, dimension)
            if old != new:
                for currency, placed, revenue in orders:
                    _add_orders(counts, (old, currency), -placed, -revenue)
                    _add_orders(counts, (new, currency), placed, revenue)

    def count_order(
        self,
        offset: int,
        event_time: float | None,
        customer: CustomerProfile | None,
        changes: Iterable[tuple[str, int, int]],
    ) -> None:
        """Count the order event at ``offset`` whose order's totals changed by ``changes``.

        ``changes`` are (currency, placed, revenue) steps, counted under the
        customer's current attributes (``customer`` None: :data:`UNKNOWN`).
        ``event_time`` is None for a snapshot (see :meth:`count_applied`).
        """
        country, segment = _bucket(customer, "country"), _bucket(customer, "segment")
        for currency, placed, revenue in changes:
            _add_orders(self.orders_by_country, (country, currency), placed, revenue)
            _add_orders(self.orders_by_segment, (segment, currency), placed, revenue)
            if currency not in self.order_currencies:
                self.order_currencies = tuple(sorted((*self.order_currencies, currency)))
        self.order_offset = offset
        self.order_applied += 1
        if event_time is not None:
            self._saw_event_at(event_time)

    def count_order_duplicate(self, offset: int) -> None:
        """Count an order event that changed nothing (version not newer)."""
        self.order_offset = offset
        self.order_duplicates += 1

    def count_order_rejected(self, offset: int) -> None:
        """Count an ``order-events`` message that broke the contract."""
        self.order_offset = offset
        self.order_rejected += 1

    def _saw_event_at(self, event_time: float) -> None:
        if self.newest_event_time is None or event_time > self.newest_event_time:
            self.newest_event_time = event_time

    def count_duplicate(self, offset: int) -> None:
        """Count an event that changed nothing (version not newer)."""
        self.offset = offset
        self.duplicates += 1

    def count_rejected(self, offset: int) -> None:
        """Count a message that broke the contract."""
        self.offset = offset
        self.rejected += 1

    def to_json(self) -> dict[str, Any]:
        """All fields, as stored and as the workers' internal API sends them."""
        return {
            "offset": self.offset,
            "total": self.total,
            "by_country": self.by_country,
            "by_segment": self.by_segment,
            "by_status": self.by_status,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "newest_event_time": self.newest_event_time,
            "order_offset": self.order_offset,
            "order_applied": self.order_applied,
            "order_duplicates": self.order_duplicates,
            "order_rejected": self.order_rejected,
            "orders_by_country": _order_rows(self.orders_by_country),
            "orders_by_segment": _order_rows(self.orders_by_segment),
            "order_currencies": self.order_currencies,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PartitionStats:
        """The inverse of :meth:`to_json`; unknown keys are ignored."""
        return cls(
            offset=int(data["offset"]),
            total=int(data["total"]),
            by_country=dict(data["by_country"]),
            by_segment=dict(data["by_segment"]),
            by_status=dict(data["by_status"]),
            applied=int(data["applied"]),
            duplicates=int(data["duplicates"]),
            rejected=int(data["rejected"]),
            newest_event_time=data["newest_event_time"],
            order_offset=int(data["order_offset"]),
            order_applied=int(data["order_applied"]),
            order_duplicates=int(data["order_duplicates"]),
            order_rejected=int(data["order_rejected"]),
            orders_by_country=_order_counts(data["orders_by_country"]),
            orders_by_segment=_order_counts(data["orders_by_segment"]),
            order_currencies=tuple(data["order_currencies"]),
        )

    def encode(self) -> bytes:
        """The stored row, marked with :data:`ROW_FORMAT`."""
        return dump_row({"format": ROW_FORMAT, **self.to_json()})

    @classmethod
    def decode(cls, row: bytes) -> PartitionStats:
        """The inverse of :meth:`encode`.

        Raises:
            UnknownRowFormat: the row was written by an OLF with another layout.
        """
        return cls.from_row(orjson.loads(row))

    @classmethod
    def from_row(cls, data: Mapping[str, Any]) -> PartitionStats:
        """Stats from a decoded stored row (see :meth:`encode`)."""
        if data.get("format") != ROW_FORMAT:
            raise UnknownRowFormat(
                f"stored statistics have row format {data.get('format', 1)!r}, this OLF reads"
                f" {ROW_FORMAT}: run it with a new OLF_APP_ID (or `make clean` on a laptop)"
            )
        return cls.from_json(data)


def merge_counts(partials: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Sum bucket counts of several partitions."""
    merged: dict[str, int] = {}
    for partial in partials:
        for bucket, count in partial.items():
            merged[bucket] = merged.get(bucket, 0) + count
    return merged


def _add(counts: dict[str, int], bucket: str, step: int) -> None:
    count = counts.get(bucket, 0) + step
    if count:
        counts[bucket] = count
    else:
        del counts[bucket]


def _bucket(profile: CustomerProfile | None, dimension: str) -> str:
    return UNKNOWN if profile is None else str(getattr(profile, dimension))


def _add_orders(counts: OrderCounts, key: tuple[str, str], placed: int, revenue: int) -> None:
    before_placed, before_revenue = counts.get(key, (0, 0))
    after = (before_placed + placed, before_revenue + revenue)
    if after == (0, 0):
        counts.pop(key, None)
    else:
        counts[key] = after


def _order_rows(counts: OrderCounts) -> list[list[Any]]:
    """``[[bucket, currency, placed, revenue], ...]``: JSON has no tuple keys."""
    return [
        [bucket, currency, placed, revenue]
        for (bucket, currency), (placed, revenue) in counts.items()
    ]


def _order_counts(rows: Iterable[list[Any]]) -> OrderCounts:
    return {(str(b), str(c)): (int(placed), int(revenue)) for b, c, placed, revenue in rows}
