"""What OLF remembers of one customer: its latest applied version and profile, and its orders.

The orders are the join (see :mod:`agents.order_events`): each customer keeps
the totals of its orders per currency, so that when it moves to another
country or segment its totals move with it, in one row, whatever the order
in which its events and its orders' events arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from models.customer_event import CustomerProfile, profile_of
from models.json_rows import dump_row
from models.order_state import NO_ORDERS, OrderTotals


@dataclass(frozen=True, slots=True)
class CustomerState:
    """Latest applied state of one customer; a deleted one is a tombstone.

    A tombstone keeps only the version (and the orders), so a replayed or
    late older event stays a duplicate after the delete. Version 0: no event
    of the customer applied yet, only orders.
    """

    version: int
    profile: CustomerProfile | None
    orders: OrderTotals = NO_ORDERS

    @property
    def country(self) -> str | None:
        return None if self.profile is None else self.profile.country

    @property
    def segment(self) -> str | None:
        return None if self.profile is None else self.profile.segment

    @property
    def status(self) -> str | None:
        return None if self.profile is None else self.profile.status

    def encode(self) -> bytes:
        """The stored row: ``[version, country, segment, status]``, ``[version]`` if deleted.

        With orders, one more element: ``[[currency, placed, revenue], ...]``.
        """
        row: list[Any] = [self.version]
        if self.profile is not None:
            row += [self.profile.country, self.profile.segment, self.profile.status]
        if self.orders:
            row.append(self.orders)
        return dump_row(row)

    @classmethod
    def decode(cls, row: bytes) -> CustomerState:
        """The inverse of :meth:`encode`."""
        return cls.from_row(orjson.loads(row))

    @classmethod
    def from_row(cls, row: list[Any]) -> CustomerState:
        """A state from a decoded stored row (see :meth:`encode`)."""
        orders: OrderTotals = NO_ORDERS
        if isinstance(row[-1], list):
            orders = tuple((str(c), int(n), int(revenue)) for c, n, revenue in row[-1])
            row = row[:-1]
        if len(row) == 1:
            return cls(int(row[0]), None, orders)
        version, country, segment, status = row
        return cls(int(version), profile_of(country, segment, status), orders)

    def to_json(self) -> dict[str, Any]:
        """The state as the workers' internal API sends it."""
        return {
            "version": self.version,
            "country": self.country,
            "segment": self.segment,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CustomerState:
        """The inverse of :meth:`to_json`."""
        if data["country"] is None:
            return cls(int(data["version"]), None)
        return cls(
            int(data["version"]),
            CustomerProfile(data["country"], data["segment"], data["status"]),
        )
