"""The whole chain with real parts: two services, their relays, Kafka, OLF's join, reconcile.

The Customer service (a real process) signs customers up and changes them;
the Orders service (in-process, its real relay) places and cancels orders for
them, checking each customer with the Customer service. An OLF worker joins
the two topics; ``python -m orders_service reconcile`` then finds OLF's
orders and revenue per currency equal to the Orders service's database and
exits 0. An order event that never was in that database (published straight
to the topic) is drift: exit 1, naming its currency.
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
from tests.integration.kafka_io import order_topic
from tests.integration.worker import Worker

PUBLISH_TIMEOUT: Final = 60.0
RECONCILE_TIMEOUT: Final = 180.0


async def wait_until_published(client: TestClient[Any, Any]) -> None:
    async with asyncio.timeout(PUBLISH_TIMEOUT):
        while True:
            if not (await (await client.get("/status")).json())["outbox"]["pending"]:
                return
            await asyncio.sleep(0.2)


async def reconcile(settings: Settings, worker: Worker) -> tuple[int, str]:
    """``python -m orders_service reconcile`` as an operator runs it: exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "orders_service", "reconcile",
        "--olf-url", worker.base_url, "--wait", "90", "--settle", "1",
        cwd=REPO_ROOT,
        env={**os.environ, "ORDERS_SERVICE_DATABASE_URL": settings.database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), RECONCILE_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, output.decode()


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
