"""A real worker process against the real broker, read back through the web view."""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from tests.events import message
from tests.integration.worker import Worker

STATS_TIMEOUT = 60.0


async def test_produced_events_show_up_in_the_country_view(
    worker_factory: Callable[..., Worker], producer: AIOKafkaProducer, events_topic: str
) -> None:
    worker = worker_factory()
    messages = [
        message("alice", 1, country="NL"),
        message("bob", 1, country="NL"),
        message("carol", 1, country="DE"),
        message("alice", 2, "customer.updated", country="BE"),
        message("bob", 1, country="NL"),  # a retry: must not count twice
        message("dave", 1, country="FR"),
        message("dave", 2, "customer.deleted"),
        (b"mallory", b"this is not JSON"),  # must not stop the agent
        message("erin", 1, country="NL"),
    ]
    for key, value in messages:
        await producer.send_and_wait(events_topic, value=value, key=key)

    expected = {"NL": 2, "DE": 1, "BE": 1}
    body = worker.wait_until(
        lambda: worker.get_json("/api/stats/customers?by=country"),
        lambda body: body["counts"] == expected,
        STATS_TIMEOUT,
        f"counts by country to equal {expected}",
    )
    assert body["by"] == "country"
    assert body["total"] == 4
