"""Reconciliation of orders: totals per currency compared exactly, and when it refuses.

OLF is played by a small HTTP server answering ``GET /api/stats/orders?by=country``
in the documented shape (the real endpoint is written elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import update

from orders_service.order import NewOrder
from orders_service.order_store import CurrencyTotals, OrderStore
from orders_service.reconciliation import (
    Drift,
    NotReconcilable,
    compare,
    drift_table,
    reconcile,
)
from orders_service.schema import outbox

CAUGHT_UP = {"complete": True, "lag": 0, "partitions_covered": 8, "partitions_total": 8}


class FakeOlf:
    """Answers ``/api/stats/orders?by=country`` with ``totals``."""

    def __init__(self) -> None:
        self.totals: dict[str, Any] = {}
        self.as_of: dict[str, Any] = dict(CAUGHT_UP)
        self.queries: list[str] = []

    def app(self) -> web.Application:
        async def orders(request: web.Request) -> web.Response:
            self.queries.append(request.query_string)
            body = {"by": "country", "orders": {}, "totals": self.totals, "as_of": self.as_of}
            return web.json_response(body)

        app = web.Application()
        app.router.add_get("/api/stats/orders", orders)
        return app


@pytest.fixture
async def olf() -> AsyncIterator[tuple[FakeOlf, str]]:
    fake = FakeOlf()
    server = TestServer(fake.app())
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


async def published(store: OrderStore) -> None:
    """Three EUR orders (one cancelled) and one GBP order, their events all marked sent."""
    for amount in ("10.50", "0.25", "100"):
        await store.place(NewOrder("cust-1", Decimal(amount), "EUR"))
    gbp = await store.place(NewOrder("cust-2", Decimal("3.0001"), "GBP"))
    await store.cancel(gbp.order_id)
    async with store.database.write() as connection:
        await connection.execute(update(outbox).values(sent_at=datetime.now(UTC)))


MATCHING = {
    "EUR": {"placed": 3, "revenue": "110.7500"},
    "GBP": {"placed": 1, "revenue": "0"},
}


async def test_the_database_counts_every_order_once_and_sums_those_not_cancelled(
    store: OrderStore,
) -> None:
    await published(store)

    assert await store.totals() == {
        "EUR": CurrencyTotals(3, Decimal("110.75")),
        "GBP": CurrencyTotals(1, Decimal(0)),
    }


async def test_equal_totals_are_no_drift_whatever_the_decimal_notation(
    store: OrderStore, olf: tuple[FakeOlf, str]
) -> None:
    fake, url = olf
    await published(store)
    fake.totals = MATCHING

    assert await reconcile(store, url, wait=5, settle=0.05) == []
    assert fake.queries[0] == "by=country"


async def test_a_cent_of_revenue_or_a_missing_order_is_drift(
    store: OrderStore, olf: tuple[FakeOlf, str]
) -> None:
    fake, url = olf
    await published(store)
    fake.totals = {
        "EUR": {"placed": 3, "revenue": "110.76"},
        "GBP": {"placed": 0, "revenue": "0"},
        "USD": {"placed": 1, "revenue": "1"},
    }

    assert await reconcile(store, url, wait=5, settle=0.05) == [
        Drift("EUR", "revenue", Decimal("110.75"), Decimal("110.76")),
        Drift("GBP", "placed", Decimal(1), Decimal(0)),
        Drift("USD", "placed", Decimal(0), Decimal(1)),
        Drift("USD", "revenue", Decimal(0), Decimal(1)),
    ]


async def test_unpublished_events_mean_no_quiet_moment(
    store: OrderStore, olf: tuple[FakeOlf, str]
) -> None:
    fake, url = olf
    await published(store)
    fake.totals = MATCHING
    await store.place(NewOrder("cust-1", Decimal(1), "EUR"))

    with pytest.raises(NotReconcilable, match="1 outbox events are not published yet"):
        await reconcile(store, url, wait=0.2, settle=0.05)


@pytest.mark.parametrize(
    ("as_of", "reason"),
    [
        ({**CAUGHT_UP, "lag": 4}, "lags 4 events behind"),
        ({**CAUGHT_UP, "complete": False}, "is incomplete"),
    ],
)
async def test_olf_behind_or_incomplete_means_no_quiet_moment(
    store: OrderStore, olf: tuple[FakeOlf, str], as_of: dict[str, Any], reason: str
) -> None:
    fake, url = olf
    await published(store)
    fake.totals = MATCHING
    fake.as_of = as_of

    with pytest.raises(NotReconcilable, match=reason):
        await reconcile(store, url, wait=0.2, settle=0.05)


@pytest.mark.parametrize(
    "totals",
    [
        {"EUR": {"placed": 3, "revenue": 110.75}},  # a JSON number: a float on the way
        {"EUR": {"placed": "3", "revenue": "110.75"}},
        {"EUR": {"placed": 3}},
        {"EUR": {"placed": 3, "revenue": "NaN"}},
        [],
    ],
)
async def test_totals_not_of_the_documented_shape_are_not_reconcilable(
    store: OrderStore, olf: tuple[FakeOlf, str], totals: object
) -> None:
    fake, url = olf
    await published(store)
    fake.totals = totals  # type: ignore[assignment]

    with pytest.raises(NotReconcilable, match="no totals of the documented shape"):
        await reconcile(store, url, wait=0.2, settle=0.05)


async def test_an_olf_that_does_not_answer_is_not_reconcilable(store: OrderStore) -> None:
    with pytest.raises(
        NotReconcilable, match=re.escape("OLF did not answer at http://127.0.0.1:9/")
    ):
        await reconcile(store, "http://127.0.0.1:9", wait=0.2, settle=0.05)


def test_the_drift_table_shows_olf_minus_the_service() -> None:
    drift = compare(
        {"EUR": CurrencyTotals(2, Decimal("10.50"))},
        {"EUR": CurrencyTotals(2, Decimal("10.25"))},
    )

    assert drift_table(drift).splitlines() == [
        "currency  measure  service  OLF    difference",
        "--------  -------  -------  -----  ----------",
        "EUR       revenue  10.50    10.25  -0.25",
    ]
