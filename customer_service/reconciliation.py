"""Reconciliation: do OLF's statistics equal the Customer service's own database?

It waits for a quiet moment (:mod:`infrastructure.reconciliation`: every outbox
event published, OLF complete with no lag, nothing changing on either side
for ``settle`` seconds; up to ``wait`` seconds), then compares live customers
by country, segment and status, and the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import aiohttp

from customer_service.customer_store import DIMENSIONS, CustomerCounts, CustomerStore
from customer_service.outbox import OUTBOX
from infrastructure.outbox import OutboxStatus

# Re-exported: callers catch it from here, beside reconcile.
from infrastructure.reconciliation import NotReconcilable as NotReconcilable
from infrastructure.reconciliation import get_olf_json, quiet_moment, why_not_caught_up
from infrastructure.text_table import format_table

TOTAL: Final = "total"


@dataclass(frozen=True, slots=True)
class Drift:
    """One count that differs; ``dimension`` is ``total`` for the number of live customers."""

    dimension: str
    value: str
    service: int
    olf: int


@dataclass(frozen=True, slots=True)
class OlfCounts:
    """OLF's answers: counts per dimension, total, and whether they are complete and caught up."""

    total: int
    by: dict[str, dict[str, int]]
    caught_up: bool
    why_not: str


async def reconcile(
    store: CustomerStore, olf_url: str, wait: float = 60.0, settle: float = 2.0
) -> list[Drift]:
    """The counts that differ between the service's database and OLF (empty: no drift).

    Raises:
        NotReconcilable: OLF did not answer, or both sides did not stay quiet
            for ``settle`` seconds within ``wait`` seconds.
    """
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        service, olf = await quiet_moment(
            lambda: _service_side(store), lambda: olf_counts(session, olf_url), wait, settle
        )
    return compare(service, olf)


def compare(service: CustomerCounts, olf: OlfCounts) -> list[Drift]:
    """Every count that differs, total first, then by dimension and value."""
    drift = []
    if service.total != olf.total:
        drift.append(Drift(TOTAL, "", service.total, olf.total))
    for dimension in DIMENSIONS:
        ours, theirs = service.by.get(dimension, {}), olf.by.get(dimension, {})
        for value in sorted(ours.keys() | theirs.keys()):
            if ours.get(value, 0) != theirs.get(value, 0):
                drift.append(Drift(dimension, value, ours.get(value, 0), theirs.get(value, 0)))
    return drift


def drifting_buckets(drift: list[Drift]) -> dict[str, set[str]] | None:
    """The values of each dimension whose counts drift: whose live customers to republish.

    Counts cannot say which customers OLF has wrong. A live customer OLF
    lacks, or counts with another value of some dimension, makes the
    database's count of its own value differ from OLF's there: that bucket
    drifts (unless another error cancels it out, which no comparison of
    counts can see). A deleted customer OLF still counts leaves no trace in
    the database's buckets: ``republish`` takes every deleted one along.
    None (every customer) when only the total drifts, which counts that add
    up never do, but costs nothing to cover.
    """
    buckets: dict[str, set[str]] = {}
    for item in drift:
        if item.dimension != TOTAL:
            buckets.setdefault(item.dimension, set()).add(item.value)
    return buckets or None


def drift_table(drift: list[Drift]) -> str:
    """The drift as a table; ``difference`` is OLF minus the service."""
    rows: list[list[object]] = [
        [item.dimension, item.value or "-", item.service, item.olf, item.olf - item.service]
        for item in drift
    ]
    return format_table(["dimension", "value", "service", "OLF", "difference"], rows)


async def olf_counts(session: aiohttp.ClientSession, olf_url: str) -> OlfCounts:
    """OLF's summary and counts by every dimension.

    Raises:
        NotReconcilable: OLF did not answer with JSON.
    """
    base = olf_url.rstrip("/")
    summary = await get_olf_json(session, f"{base}/api/stats/summary")
    answers = {
        dimension: await get_olf_json(session, f"{base}/api/stats/customers?by={dimension}")
        for dimension in DIMENSIONS
    }
    why_not = ""
    for name, answer in (("summary", summary), *answers.items()):
        why_not = why_not_caught_up(name, answer) or why_not
    return OlfCounts(
        total=int(summary["customers"]["total"]),
        by={dimension: dict(answer["counts"]) for dimension, answer in answers.items()},
        caught_up=not why_not,
        why_not=why_not,
    )


async def _service_side(store: CustomerStore) -> tuple[CustomerCounts, OutboxStatus]:
    return await store.counts(), await OUTBOX.status(store.database)
