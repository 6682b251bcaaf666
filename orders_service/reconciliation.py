"""Reconciliation: do OLF's order statistics equal the Orders service's own database?

It waits for a quiet moment (:mod:`infrastructure.reconciliation`: every
outbox event published, OLF complete with no lag, nothing changing on either
side for ``settle`` seconds; up to ``wait`` seconds), then compares, per
currency, OLF's ``totals`` of ``GET /api/stats/orders?by=country`` with the
database:

- ``placed``: every order ever placed, cancelled since or not, counts once;
- ``revenue``: the sum of the amounts of the orders not cancelled.

Both exactly: revenue as ``Decimal`` (so ``"10.5"`` equals ``"10.50"``). A
currency one side lacks counts as 0 placed and 0 revenue there.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import aiohttp

from infrastructure.outbox import OutboxStatus

# Re-exported: callers catch it from here, beside reconcile.
from infrastructure.reconciliation import NotReconcilable as NotReconcilable
from infrastructure.reconciliation import get_olf_json, quiet_moment, why_not_caught_up
from infrastructure.text_table import format_table
from orders_service.order_store import CurrencyTotals, OrderStore
from orders_service.outbox import OUTBOX

PLACED: Final = "placed"
REVENUE: Final = "revenue"
NOTHING: Final = CurrencyTotals(0, Decimal(0))


@dataclass(frozen=True, slots=True)
class Drift:
    """One number that differs: ``measure`` (placed or revenue) of ``currency``."""

    currency: str
    measure: str
    service: Decimal
    olf: Decimal


@dataclass(frozen=True, slots=True)
class OlfTotals:
    """OLF's totals per currency, and whether its answer is complete and caught up."""

    totals: dict[str, CurrencyTotals]
    caught_up: bool
    why_not: str


async def reconcile(
    store: OrderStore, olf_url: str, wait: float = 60.0, settle: float = 2.0
) -> list[Drift]:
    """The numbers that differ between the service's database and OLF (empty: no drift).

    Raises:
        NotReconcilable: OLF did not answer (or not in the documented shape),
            or both sides did not stay quiet for ``settle`` seconds within ``wait``.
    """
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        service, olf = await quiet_moment(
            lambda: _service_side(store), lambda: olf_totals(session, olf_url), wait, settle
        )
    return compare(service, olf.totals)


def compare(service: dict[str, CurrencyTotals], olf: dict[str, CurrencyTotals]) -> list[Drift]:
    """Every number that differs, by currency, placed before revenue."""
    drift = []
    for currency in sorted(service.keys() | olf.keys()):
        ours, theirs = service.get(currency, NOTHING), olf.get(currency, NOTHING)
        if ours.placed != theirs.placed:
            drift.append(Drift(currency, PLACED, Decimal(ours.placed), Decimal(theirs.placed)))
        if ours.revenue != theirs.revenue:
            drift.append(Drift(currency, REVENUE, ours.revenue, theirs.revenue))
    return drift


def drift_table(drift: list[Drift]) -> str:
    """The drift as a table; ``difference`` is OLF minus the service."""
    rows: list[list[object]] = [
        [
            item.currency,
            item.measure,
            str(item.service),
            str(item.olf),
            str(item.olf - item.service),
        ]
        for item in drift
    ]
    return format_table(["currency", "measure", "service", "OLF", "difference"], rows)


async def olf_totals(session: aiohttp.ClientSession, olf_url: str) -> OlfTotals:
    """OLF's ``totals`` of ``GET /api/stats/orders?by=country``.

    Raises:
        NotReconcilable: OLF did not answer, or its answer is not of the documented shape.
    """
    url = f"{olf_url.rstrip('/')}/api/stats/orders?by=country"
    answer = await get_olf_json(session, url)
    why_not = why_not_caught_up("orders", answer)
    return OlfTotals(totals=_parse_totals(answer, url), caught_up=not why_not, why_not=why_not)


def _parse_totals(answer: dict[str, Any], url: str) -> dict[str, CurrencyTotals]:
    try:
        return {
            str(currency): CurrencyTotals(_count(numbers["placed"]), _revenue(numbers["revenue"]))
            for currency, numbers in answer["totals"].items()
        }
    except (KeyError, TypeError, AttributeError, ValueError, InvalidOperation) as exc:
        raise NotReconcilable(
            f"OLF's answer at {url} has no totals of the documented shape: {exc!r}"
        ) from None


def _revenue(value: object) -> Decimal:
    # A decimal string by contract: a JSON number would have been read through a float.
    if not isinstance(value, str):
        raise TypeError(f"revenue must be a decimal string, not {value!r}")
    revenue = Decimal(value)
    if not revenue.is_finite():
        raise ValueError(f"revenue must be a number, not {value!r}")
    return revenue


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"placed must be an integer, not {value!r}")
    return value


async def _service_side(store: OrderStore) -> tuple[dict[str, CurrencyTotals], OutboxStatus]:
    return await store.totals(), await OUTBOX.status(store.database)
