"""Integration fixtures: one real broker per session, unique topics and app ids per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from dev.local_ports import free_port, free_ports
from tests.integration.broker import Broker, PrivateBroker, ensure_broker, stop_broker
from tests.integration.customer_service_process import TOKEN, CustomerServiceProcess
from tests.integration.kafka_io import idempotent_producer, order_topic
from tests.integration.worker import Worker

pytestmark = pytest.mark.integration

WORKER_READY_TIMEOUT = 90.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


#: Properties tests attach with ``record_property(name, text)`` that the summary lists.
SUMMARY_SECTIONS = {"recovery": "recovery times", "screenshot": "screenshots"}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List what tests attached with ``record_property``: recovery times, screenshots."""
    reports = [
        report
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
    ]
    for prop, title in SUMMARY_SECTIONS.items():
        lines = [
            f"{report.nodeid.split('::')[-1]}: {value}"
            for report in reports
            for name, value in getattr(report, "user_properties", ())
            if name == prop
        ]
        if lines:
            terminalreporter.write_sep("-", title)
            for line in lines:
                terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    """The real local KRaft broker; started for this session unless already running."""
    running = ensure_broker()
    yield running
    stop_broker(running)


@pytest.fixture
def private_broker() -> Iterator[PrivateBroker]:
    """A started broker of this test's own (ports free now), removed afterwards."""
    port = free_ports(2)  # the broker's and its controller's
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
def statistics_topic(unique_name: str) -> str:
    """The topic this test's workers publish their statistics to."""
    return f"{unique_name}-statistics"


@pytest.fixture
def worker_factory(
    broker: Broker, unique_name: str, events_topic: str, statistics_topic: str, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    """Start OLF workers on this test's topic; all are stopped when the test ends."""
    workers: list[Worker] = []

    def start(**env_overrides: str) -> Worker:
        index = len(workers)
        env = {
            "OLF_APP_ID": unique_name,
            "OLF_BROKER_URL": broker.url,
            "OLF_CUSTOMER_EVENTS_TOPIC": events_topic,
            "OLF_ORDER_EVENTS_TOPIC": order_topic(events_topic),
            "OLF_STATISTICS_TOPIC": statistics_topic,
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
    async with idempotent_producer(broker.bootstrap) as kafka_producer:
        yield kafka_producer


@pytest.fixture
def customer_service_factory(
    broker: Broker, events_topic: str, tmp_path: Path
) -> Iterator[Callable[..., CustomerServiceProcess]]:
    """Start Customer service processes publishing to this test's topic; all are stopped after.

    Every process of one test shares one SQLite database, so a restart finds
    its outbox. Keyword arguments override settings by field name, e.g.
    ``relay_enabled="false"`` or ``broker_url=private_broker.url``.
    """
    services: list[CustomerServiceProcess] = []

    def start(**settings: str) -> CustomerServiceProcess:
        env = {
            "CUSTOMER_SERVICE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'customers.db'}",
            "CUSTOMER_SERVICE_PORT": str(free_port()),
            "CUSTOMER_SERVICE_TOKEN": TOKEN,
            "CUSTOMER_SERVICE_BROKER_URL": broker.url,
            "CUSTOMER_SERVICE_TOPIC": events_topic,
            "CUSTOMER_SERVICE_RELAY_BACKOFF_MAX": "2",
            "CUSTOMER_SERVICE_RELAY_REQUEST_TIMEOUT": "5",
            **{f"CUSTOMER_SERVICE_{name.upper()}": value for name, value in settings.items()},
        }
        service = CustomerServiceProcess(env, tmp_path / f"customer-service-{len(services)}.log")
        services.append(service)
        service.start()
        return service

    yield start
    for service in services:
        service.stop()
