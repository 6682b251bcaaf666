"""Integration fixtures: one real broker per session, unique topics and app ids per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from tests.integration.broker import Broker, PrivateBroker, ensure_broker, stop_broker
from tests.integration.worker import Worker, free_port, free_port_pair

pytestmark = pytest.mark.integration

WORKER_READY_TIMEOUT = 90.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    """The real local KRaft broker; started for this session unless already running."""
    running = ensure_broker()
    yield running
    stop_broker(running)


@pytest.fixture
def private_broker() -> Iterator[PrivateBroker]:
    """A started broker of this test's own (ports free now), removed afterwards."""
    port = free_port_pair()
    own = PrivateBroker(port)
    own.start()
    yield own
    own.stop()
    own.remove_data()


@pytest.fixture
def unique_name() -> str:
    """A name no other test uses, for app ids and topics."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def events_topic(unique_name: str) -> str:
    return f"{unique_name}-customer-events"


@pytest.fixture
def worker_factory(
    broker: Broker, unique_name: str, events_topic: str, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    """Start OLF workers on this test's topic; all are stopped when the test ends."""
    workers: list[Worker] = []

    def start(**env_overrides: str) -> Worker:
        index = len(workers)
        env = {
            "OLF_APP_ID": unique_name,
            "OLF_BROKER_URL": broker.url,
            "OLF_CUSTOMER_EVENTS_TOPIC": events_topic,
            "OLF_WEB_PORT": str(free_port()),
            "OLF_DATA_DIR": str(tmp_path / f"worker-{index}"),
            "OLF_TOPIC_PARTITIONS": "8",
            **env_overrides,
        }
        worker = Worker(env, tmp_path / f"worker-{index}.log")
        workers.append(worker)
        worker.start()
        worker.wait_until(
            lambda: worker.get_json("/api/stats/customers?by=country"),
            lambda body: "counts" in body,
            WORKER_READY_TIMEOUT,
            "the worker's web view to answer",
        )
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
async def producer(broker: Broker) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent aiokafka producer to the test broker."""
    kafka_producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap, enable_idempotence=True, acks="all"
    )
    await kafka_producer.start()
    yield kafka_producer
    await kafka_producer.stop()
