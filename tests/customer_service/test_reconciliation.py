"""Reconciliation's rules: what counts as drift, and when it refuses to compare.

OLF is played by a small HTTP server answering like OLF's views; the real
OLF is in ``tests/integration/test_customer_service_reconcile.py``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import update

from customer_service.customer_store import CustomerCounts, CustomerStore
from customer_service.reconciliation import (
    Drift,
    NotReconcilable,
    OlfCounts,
    compare,
    drift_table,
    reconcile,
)
from customer_service.schema import outbox

NEW = {"name": "Ada", "email": "ada@example.com", "segment": "smb", "status": "active"}
CAUGHT_UP = {"complete": True, "lag": 0, "partitions_covered": 8, "partitions_total": 8}


class FakeOlf:
    """Answers ``/api/stats/summary`` and ``/api/stats/customers`` from ``counts``."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {"country": {}, "segment": {}, "status": {}}
        self.total = 0
        self.as_of: dict[str, Any] = dict(CAUGHT_UP)

    def mirror(self, service: CustomerCounts) -> None:
        self.counts = {dimension: dict(counts) for dimension, counts in service.by.items()}
        self.total = service.total

    def app(self) -> web.Application:
        async def summary(_request: web.Request) -> web.Response:
            return web.json_response({"customers": {"total": self.total}, "as_of": self.as_of})

        async def customers(request: web.Request) -> web.Response:
            by = request.query["by"]
            body = {"by": by, "counts": self.counts[by], "total": self.total, "as_of": self.as_of}
            return web.json_response(body)

        app = web.Application()
        app.router.add_get("/api/stats/summary", summary)
        app.router.add_get("/api/stats/customers", customers)
        return app


@pytest.fixture
async def olf() -> AsyncIterator[tuple[FakeOlf, str]]:
    fake = FakeOlf()
    server = TestServer(fake.app())
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


async def published(store: CustomerStore, countries: list[str]) -> CustomerCounts:
    """Customers in ``countries``, their events all marked sent, and the resulting counts."""
    for country in countries:
        await store.create({**NEW, "country": country})
    async with store.database.write() as connection:
        await connection.execute(update(outbox).values(sent_at=datetime.now(UTC)))
    return await store.counts()


async def test_equal_counts_are_no_drift(store: CustomerStore, olf: tuple[FakeOlf, str]) -> None:
    fake, url = olf
    fake.mirror(await published(store, ["NL", "NL", "DE"]))

    assert await reconcile(store, url, wait=5, settle=0.05) == []


async def test_a_missing_customer_is_drift_in_the_total_and_each_dimension(
    store: CustomerStore, olf: tuple[FakeOlf, str]
) -> None:
    fake, url = olf
    fake.mirror(await published(store, ["NL", "NL", "DE"]))
    fake.total = 2
    fake.counts["country"] = {"NL": 1, "DE": 1}
    fake.counts["segment"] = {"smb": 2}
    fake.counts["status"] = {"active": 2}

    drift = await reconcile(store, url, wait=5, settle=0.05)

    assert drift == [
        Drift("total", "", 3, 2),
        Drift("country", "NL", 2, 1),
        Drift("segment", "smb", 3, 2),
        Drift("status", "active", 3, 2),
    ]


async def test_a_value_only_olf_knows_is_drift(
    store: CustomerStore, olf: tuple[FakeOlf, str]
) -> None:
    fake, url = olf
    fake.mirror(await published(store, ["NL"]))
    fake.counts["country"] = {"NL": 1, "FR": 1}

    assert await reconcile(store, url, wait=5, settle=0.05) == [Drift("country", "FR", 0, 1)]


async def test_unpublished_events_mean_no_quiet_moment(
    store: CustomerStore, olf: tuple[FakeOlf, str]
) -> None:
    fake, url = olf
    fake.mirror(await published(store, ["NL"]))
    await store.create({**NEW, "country": "BE"})

    with pytest.raises(NotReconcilable, match="1 outbox events are not published yet"):
        await reconcile(store, url, wait=0.2, settle=0.05)


@pytest.mark.parametrize(
    ("as_of", "reason"),
    [
        ({**CAUGHT_UP, "lag": 4}, "lags 4 events behind"),
        ({**CAUGHT_UP, "complete": False, "partitions_covered": 7}, "is incomplete"),
    ],
)
async def test_olf_behind_or_incomplete_means_no_quiet_moment(
    store: CustomerStore, olf: tuple[FakeOlf, str], as_of: dict[str, Any], reason: str
) -> None:
    fake, url = olf
    fake.mirror(await published(store, ["NL"]))
    fake.as_of = as_of

    with pytest.raises(NotReconcilable, match=reason):
        await reconcile(store, url, wait=0.2, settle=0.05)


async def test_an_olf_that_does_not_answer_is_not_reconcilable(store: CustomerStore) -> None:
    with pytest.raises(
        NotReconcilable, match=re.escape("OLF did not answer at http://127.0.0.1:9/")
    ):
        await reconcile(store, "http://127.0.0.1:9", wait=0.2, settle=0.05)


def test_the_drift_table_shows_olf_minus_the_service() -> None:
    drift = compare(
        CustomerCounts(total=3, by={"country": {"NL": 2, "DE": 1}}),
        OlfCounts(total=2, by={"country": {"NL": 1, "DE": 1}}, caught_up=True, why_not=""),
    )

    assert drift_table(drift).splitlines() == [
        "dimension  value  service  OLF  difference",
        "---------  -----  -------  ---  ----------",
        "total      -            3    2          -1",
        "country    NL           2    1          -1",
    ]
