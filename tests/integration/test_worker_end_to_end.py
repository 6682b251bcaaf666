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


def metric_values(text: str, name: str) -> dict[str, float]:
    """Samples of one metric in Prometheus text format, by their label text."""
    samples = {}
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")):
            labels, value = line[len(name) :].rsplit(" ", 1)
            samples[labels] = float(value)
    return samples


async def test_metrics_count_what_the_worker_did(
    worker_factory: Callable[..., Worker], producer: AIOKafkaProducer, events_topic: str
) -> None:
    worker = worker_factory()
    for key, value in [message("a", 1), message("a", 1), (b"a", b"[]"), message("b", 1)]:
        await producer.send_and_wait(events_topic, value=value, key=key)
    worker.wait_until(
        lambda: worker.get_json("/api/stats/summary")["events"],
        lambda events: events == {"applied": 2, "duplicates": 1, "rejected": 1},
        STATS_TIMEOUT,
        "the four messages to be processed",
    )

    content_type, text = worker.get_text("/metrics")
    assert content_type.startswith("text/plain")
    events = metric_values(text, "olf_events_total")
    by_outcome = {
        outcome: sum(v for labels, v in events.items() if f'outcome="{outcome}"' in labels)
        for outcome in ("applied", "duplicates", "rejected")
    }
    assert by_outcome == {"applied": 2, "duplicates": 1, "rejected": 1}
    assert sum(metric_values(text, "olf_customers").values()) == 2
    assert len(metric_values(text, "olf_consumer_lag")) >= 1
    assert 'olf_recovery_remaining{kind="active"} 0.0' in text
    assert "faust_messages_received" in text  # Faust's own sensor is there too
    # The input arrives in batches, which OLF counts (Faust's per-message sensors cannot).
    assert sum(metric_values(text, "olf_batch_messages_total").values()) == 4
    assert 1 <= sum(metric_values(text, "olf_batches_total").values()) <= 4
    checkpoints = worker.wait_until(
        lambda: metric_values(worker.get_text("/metrics")[1], "olf_checkpoints_total"),
        lambda values: sum(values.values()) >= 1,
        STATS_TIMEOUT,
        "a checkpoint",
    )
    assert checkpoints
    text = worker.get_text("/metrics")[1]
    # Four messages changed two customers, one window and the stats: one checkpoint's rows.
    assert sum(metric_values(text, "olf_changelog_messages_total").values()) >= 4
