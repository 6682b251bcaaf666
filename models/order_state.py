"""What OLF remembers of one order, and what an order adds to its customer's totals.

An order counts once among its customer's *placed* orders from the first of
its events OLF applies (a cancellation whose placement never arrived still
says the order was placed), and adds its amount to the revenue unless it is
cancelled. Every event carries the whole order, so its latest applied version
alone decides both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import orjson

from models.json_rows import dump_row

#: A customer's orders per currency: (currency, orders placed, revenue in
#: money units), one entry per currency, sorted; a tuple, so a state that
#: holds it stays immutable.
OrderTotals = tuple[tuple[str, int, int], ...]
NO_ORDERS: Final[OrderTotals] = ()


@dataclass(frozen=True, slots=True)
class OrderState:
    """The latest applied version of one order; ``amount`` in units of :mod:`models.money`."""

    version: int
    cancelled: bool
    currency: str
    amount: int

    @property
    def revenue(self) -> int:
        return 0 if self.cancelled else self.amount

    def encode(self) -> bytes:
        """The stored row: ``[version, cancelled (0/1), currency, amount]``."""
        return dump_row([self.version, int(self.cancelled), self.currency, self.amount])

    @classmethod
    def decode(cls, row: bytes) -> OrderState:
        """The inverse of :meth:`encode`."""
        version, cancelled, currency, amount = orjson.loads(row)
        return cls(int(version), bool(cancelled), str(currency), int(amount))


def order_change(old: OrderState | None, new: OrderState) -> Iterator[tuple[str, int, int]]:
    """What replacing ``old`` (None: unknown) with ``new`` adds to the totals.

    Yields (currency, placed, revenue) changes, only non-zero ones: one
    currency, or two if a version changed the order's currency.
    """
    changes = {new.currency: (1, new.revenue)}
    if old is not None:
        placed, revenue = changes.get(old.currency, (0, 0))
        changes[old.currency] = (placed - 1, revenue - old.revenue)
    for currency, (placed, revenue) in changes.items():
        if placed or revenue:
            yield currency, placed, revenue


def add_to_totals(totals: OrderTotals, currency: str, placed: int, revenue: int) -> OrderTotals:
    """``totals`` with one currency's change added; entries that become zero are left out."""
    by_currency = {entry[0]: entry[1:] for entry in totals}
    before_placed, before_revenue = by_currency.get(currency, (0, 0))
    after = (before_placed + placed, before_revenue + revenue)
    if after == (0, 0):
        by_currency.pop(currency, None)
    else:
        by_currency[currency] = after
    return tuple((name, n, amount) for name, (n, amount) in sorted(by_currency.items()))
