"""The Orders service's relay publishes the exact ``order-events`` contract to the real broker.

The service runs in-process with its real Kafka publisher and a fake Customer
service; the topic is this test's own.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from orders_service.service import build_service
from orders_service.settings import Settings
from tests.integration.broker import Broker
from tests.integration.kafka_io import read_topic
from tests.orders_service.conftest import (
    AUTH,
    TOKEN,
    Client,
    FakeCustomerService,
    order_body,
    place,
)
from tests.orders_service.test_order_event import check_contract

PUBLISH_TIMEOUT = 60.0


@pytest.fixture
async def customer_service() -> AsyncIterator[tuple[FakeCustomerService, str]]:
    fake = FakeCustomerService()
    fake.known = {f"cust-{index}" for index in range(5)}
    server = TestServer(fake.app())
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


async def wait_until_published(client: Client) -> dict[str, Any]:
    async with asyncio.timeout(PUBLISH_TIMEOUT):
        while True:
            status = await (await client.get("/status")).json()
            if status["outbox"]["pending"] == 0:
                answer: dict[str, Any] = status
                return answer
            await asyncio.sleep(0.2)


async def test_placements_and_cancellations_reach_the_topic_in_order_by_customer(
    broker: Broker,
    unique_name: str,
    tmp_path: Path,
    customer_service: tuple[FakeCustomerService, str],
) -> None:
    topic = f"{unique_name}-order-events"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
        token=TOKEN,
        broker_url=broker.url,
        topic=topic,
        customer_service_url=customer_service[1],
        relay_request_timeout=10.0,
    )
    async with TestClient(TestServer(build_service(settings))) as client:
        placed = [
            await place(client, customer_id=f"cust-{index % 5}", amount=f"{index + 1}.05")
            for index in range(20)
        ]
        for order in placed[::3]:
            response = await client.post(f"/orders/{order['order_id']}/cancel", headers=AUTH)
            assert response.status == 200
        unknown = await client.post("/orders", json=order_body(customer_id="x"), headers=AUTH)
        assert unknown.status == 422
        status = await wait_until_published(client)

    expected = len(placed) + len(placed[::3])
    assert status["relay"]["published"] == expected
    records = await read_topic(broker.bootstrap, topic, expected)
    assert len(records) == expected, "each event exactly once"
    events = [check_contract(record.key, record.value) for record in records]
    partitions: defaultdict[str, set[int]] = defaultdict(set)
    for record, event in zip(records, events, strict=True):
        partitions[str(event["customer_id"])].add(record.partition)
    assert all(len(used) == 1 for used in partitions.values()), "one partition per customer"
    by_order: defaultdict[str, list[tuple[str, object]]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event = orjson.loads(record.value)
        by_order[event["order_id"]].append((event["type"], event["version"]))
    cancelled = {order["order_id"] for order in placed[::3]}
    for order in placed:
        expected_events = [("order.placed", 1)]
        if order["order_id"] in cancelled:
            expected_events.append(("order.cancelled", 2))
        assert by_order[order["order_id"]] == expected_events
    amounts = {str(event["order_id"]): event["amount"] for event in events}
    assert amounts == {order["order_id"]: order["amount"] for order in placed}
