"""Two workers, eight partitions, ten thousand events: every answer equals the model."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.error import HTTPError

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from agents.dead_letters import OFFSET_HEADER, PARTITION_HEADER, REASON_HEADER, TOPIC_HEADER
from tests.integration.broker import Broker
from tests.integration.kafka_io import produce, read_topic
from tests.integration.worker import Worker
from tests.random_stream import random_stream
from tests.reference_model import ReferenceModel

EVENTS = 10_000
PARTITIONS = 8
PROCESSING_TIMEOUT = 240.0


def summary_done(body: dict[str, Any]) -> bool:
    events = body["events"]
    processed = events["applied"] + events["duplicates"] + events["rejected"]
    return bool(body["as_of"]["complete"]) and processed == EVENTS and body["as_of"]["lag"] == 0


def expected_answers(model: ReferenceModel) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "/api/stats/summary": {
            "customers": {"total": model.total},
            "events": {
                "applied": model.applied,
                "duplicates": model.duplicates,
                "rejected": model.rejected,
            },
        }
    }
    for by in ("country", "segment", "status"):
        answers[f"/api/stats/customers?by={by}"] = {
            "by": by,
            "counts": model.counts(by),
            "total": model.total,
        }
    for metric in ("signups", "updates", "deletions"):
        for window in ("1m", "1h"):
            answers[f"/api/stats/timeseries?metric={metric}&window={window}"] = {
                "metric": metric,
                "window": window,
                "points": model.points(metric, window),
            }
    return answers


def not_found(worker: Worker, path: str) -> dict[str, Any]:
    with pytest.raises(HTTPError) as error:
        worker.get_json(path)
    assert error.value.code == 404
    body: dict[str, Any] = orjson.loads(error.value.read())
    return body


async def test_two_workers_answer_exactly_what_the_model_says(
    worker_factory: Callable[..., Worker],
    producer: AIOKafkaProducer,
    broker: Broker,
    events_topic: str,
) -> None:
    first, second = worker_factory(), worker_factory()
    for worker in (first, second):
        worker.wait_until(
            partial(worker.get_json, "/api/stats/summary"),
            lambda body: body["as_of"]["complete"],
            90.0,
            "both workers to share all partitions",
        )

    stream = random_stream(seed=7, count=EVENTS, customers=1500, partitions=PARTITIONS)
    started = time.monotonic()
    placed = await produce(producer, events_topic, stream)
    model = ReferenceModel()
    for sent, offset in placed:
        model.feed(sent, offset)
    assert model.rejected > 100, "the stream should exercise rejections"
    assert model.duplicates > 300, "the stream should exercise duplicates"

    for worker in (first, second):
        worker.wait_until(
            partial(worker.get_json, "/api/stats/summary"),
            summary_done,
            PROCESSING_TIMEOUT,
            f"all {EVENTS} events to be processed",
        )
        print(f"{worker.base_url}: all processed {time.monotonic() - started:.1f}s after producing")
        for path, expected in expected_answers(model).items():
            body = worker.get_json(path)
            as_of = body.pop("as_of")
            assert body == expected, f"{path} on {worker.base_url}"
            assert as_of == {
                "newest_event_time": model.newest_event_time(),
                "lag": 0,
                "partitions_covered": PARTITIONS,
                "partitions_total": PARTITIONS,
                "complete": True,
            }

        rng = random.Random(3)
        for customer_id in rng.sample(sorted(model.versions), 40):
            path = f"/api/customers/{customer_id}"
            profile = model.profiles.get(customer_id)
            if profile is None:
                assert "no customer" in not_found(worker, path)["message"]
                continue
            country, segment, status = profile
            assert worker.get_json(path) == {
                "customer_id": customer_id,
                "version": model.versions[customer_id],
                "customer": {"country": country, "segment": segment, "status": status},
            }
        assert not_found(worker, "/api/customers/never-seen")["status"] == 404

    dead = await read_topic(broker.bootstrap, f"{events_topic}-dlq", len(model.dead_letters))
    received = sorted(
        (
            int(headers[PARTITION_HEADER]),
            int(headers[OFFSET_HEADER]),
            record.key,
            record.value,
        )
        for record in dead
        for headers in [dict(record.headers)]
    )
    assert received == sorted(model.dead_letters, key=lambda item: (item[0], item[1]))
    for record in dead:
        headers = dict(record.headers)
        assert headers[TOPIC_HEADER] == events_topic.encode()
        assert headers[REASON_HEADER]
