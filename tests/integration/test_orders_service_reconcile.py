"""The whole chain with real parts: two services, their relays, Kafka, OLF's join, reconcile.

The Customer service (a real process) signs customers up and changes them;
the Orders service (in-process, its real relay) places and cancels orders for
them, checking each customer with the Customer service. An OLF worker joins
the two topics; ``python -m orders_service reconcile`` then finds OLF's
orders and revenue per currency equal to the Orders service's database and
exits 0. An order event that never was in that database (published straight
to the topic) is drift: exit 1, naming its currency.

Republishing: once the first orders' events are deleted from the topic (as
retention would), an OLF with a new app id finds drift; ``python -m
orders_service republish`` restates every order as a snapshot, after which
there is none, the order series are unchanged (snapshots are no events in
time), and an OLF that had every event takes them all as duplicates.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaProducer

from customer_service.simulator import simulate as simulate_customers
from orders_service.service import build_service
from orders_service.settings import Settings
from orders_service.simulator import simulate as simulate_orders
from tests.integration.broker import REPO_ROOT, Broker
from tests.integration.customer_service_process import TOKEN, CustomerServiceProcess
from tests.integration.kafka_io import delete_before, end_offsets, order_topic
from tests.integration.worker import Worker

PUBLISH_TIMEOUT: Final = 60.0
RECONCILE_TIMEOUT: Final = 180.0


async def wait_until_published(client: TestClient[Any, Any]) -> None:
    async with asyncio.timeout(PUBLISH_TIMEOUT):
        while True:
            if not (await (await client.get("/status")).json())["outbox"]["pending"]:
                return
            await asyncio.sleep(0.2)


async def orders_command(settings: Settings, *args: str) -> tuple[int, str]:
    """``python -m orders_service <args>`` as an operator runs it: exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "orders_service", *args,
        cwd=REPO_ROOT,
        env={**os.environ, "ORDERS_SERVICE_DATABASE_URL": settings.database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), RECONCILE_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def reconcile(settings: Settings, worker: Worker) -> tuple[int, str]:
    return await orders_command(
        settings, "reconcile", "--olf-url", worker.base_url, "--wait", "90", "--settle", "1"
    )


async def test_olf_joins_both_services_and_reconcile_finds_no_drift_until_a_stray_order(
    customer_service_factory: Callable[..., CustomerServiceProcess],
    worker_factory: Callable[..., Worker],
    producer: AIOKafkaProducer,
    broker: Broker,
    events_topic: str,
    tmp_path: Path,
) -> None:
    customers = customer_service_factory()
    tally = await simulate_customers(
        customers.base_url, TOKEN, customers=30, changes=60, rate=1000, seed=4
    )
    assert not tally.failed, tally.first_errors
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
        token=TOKEN,
        broker_url=broker.url,
        topic=order_topic(events_topic),
        customer_service_url=customers.base_url,
    )
    worker = worker_factory()  # first, so that OLF creates order-events co-partitioned
    async with TestClient(TestServer(build_service(settings))) as orders:
        url = str(orders.make_url("")).rstrip("/")
        placed = await simulate_orders(url, TOKEN, customers.base_url, 120, 1000.0, seed=6)
        assert not placed.failed, placed.first_errors
        await wait_until_published(orders)
    customers.wait_until_published(PUBLISH_TIMEOUT)

    code, output = await reconcile(settings, worker)

    assert code == 0, output
    assert "no drift" in output, output
    totals = worker.get_json("/api/stats/orders?by=segment")["totals"]
    assert sum(figures["placed"] for figures in totals.values()) > 50, totals

    stray = {
        "event_id": str(uuid.uuid4()),
        "type": "order.placed",
        "order_id": "never-in-the-database",
        "customer_id": "cust-stray",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "amount": "7.25",
        "currency": "CHF",
    }
    await producer.send_and_wait(
        order_topic(events_topic), value=orjson.dumps(stray), key=b"cust-stray"
    )

    code, output = await reconcile(settings, worker)

    assert code == 1, output
    assert "CHF" in output, output
    by_country = worker.get_json("/api/stats/orders?by=country")["orders"]
    assert by_country["unknown"]["CHF"] == {"placed": 1, "revenue": "7.25"}


def order_series(worker: Worker, currencies: list[str]) -> dict[str, Any]:
    """The worker's order series of ``currencies``, by path, and its newest event time."""
    answers: dict[str, Any] = {
        "newest_event_time": worker.get_json("/api/stats/summary")["as_of"]["newest_event_time"]
    }
    for currency in currencies:
        for metric in (f"orders.{currency}", f"revenue.{currency}"):
            for window in ("1m", "1h"):
                path = f"/api/stats/timeseries?metric={metric}&window={window}"
                answers[path] = worker.get_json(path)["points"]
    return answers


async def test_republished_snapshots_rebuild_orders_whose_events_are_gone(
    customer_service_factory: Callable[..., CustomerServiceProcess],
    worker_factory: Callable[..., Worker],
    broker: Broker,
    events_topic: str,
    unique_name: str,
    tmp_path: Path,
) -> None:
    customers = customer_service_factory()
    tally = await simulate_customers(
        customers.base_url, TOKEN, customers=20, changes=20, rate=1000, seed=7
    )
    assert not tally.failed, tally.first_errors
    topic = order_topic(events_topic)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
        token=TOKEN,
        broker_url=broker.url,
        topic=topic,
        customer_service_url=customers.base_url,
    )
    had_every_event = worker_factory()
    async with TestClient(TestServer(build_service(settings))) as orders:
        url = str(orders.make_url("")).rstrip("/")
        first = await simulate_orders(url, TOKEN, customers.base_url, 40, 1000.0, seed=8)
        assert not first.failed, first.first_errors
        await wait_until_published(orders)
        first_ends = await end_offsets(broker.bootstrap, topic)
        second = await simulate_orders(url, TOKEN, customers.base_url, 40, 1000.0, seed=9)
        assert not second.failed, second.first_errors
        await wait_until_published(orders)
        customers.wait_until_published(PUBLISH_TIMEOUT)
        code, output = await reconcile(settings, had_every_event)
        assert code == 0, output
        totals = had_every_event.get_json("/api/stats/orders?by=country")["totals"]
        orders_ever = sum(figures["placed"] for figures in totals.values())
        counted_before = had_every_event.get_json("/api/stats/summary")["order_events"]
        await delete_before(broker.bootstrap, first_ends)

        rebuilt = worker_factory(OLF_APP_ID=f"{unique_name}-rebuilt")
        code, output = await reconcile(settings, rebuilt)
        assert code == 1, output  # the first orders are gone from the topic
        series_before = order_series(rebuilt, sorted(totals))

        code, output = await orders_command(settings, "republish", "--batch-size", "7")
        assert code == 0, output
        assert f"{orders_ever} snapshot events in the outbox" in output, output
        await wait_until_published(orders)

        code, output = await reconcile(settings, rebuilt)
        assert code == 0, output
        assert order_series(rebuilt, sorted(totals)) == series_before
        code, output = await reconcile(settings, had_every_event)
        assert code == 0, output
        counted = had_every_event.get_json("/api/stats/summary")["order_events"]
        # Where every event was applied, every snapshot is a duplicate.
        assert counted["applied"] == counted_before["applied"]
        assert counted["duplicates"] == counted_before["duplicates"] + orders_ever
