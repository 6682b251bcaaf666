"""Checking a worker's answers against the reference model, exactly."""

from __future__ import annotations

import random
import time
from functools import partial
from typing import Any
from urllib.error import HTTPError

import orjson
import pytest

from tests.expected_answers import SUMMARY, expected_answers, processed
from tests.integration.worker import Worker
from tests.reference_model import ReferenceModel


def wait_until_processed(worker: Worker, total: int, timeout: float) -> float:
    """Wait until all partitions are covered, ``total`` messages processed and no lag.

    Returns the seconds it took.
    """
    started = time.monotonic()
    worker.wait_until(
        partial(worker.get_json, SUMMARY),
        lambda body: (
            bool(body["as_of"]["complete"])
            and processed(body) == total
            and body["as_of"]["lag"] == 0
        ),
        timeout,
        f"all {total} messages to be processed",
    )
    return time.monotonic() - started


def wait_until_processed_at_least(worker: Worker, count: int, timeout: float) -> int:
    """Wait until the worker has processed ``count`` messages or more; return how many."""
    body = worker.wait_until(
        partial(worker.get_json, SUMMARY),
        lambda body: processed(body) >= count,
        timeout,
        f"at least {count} messages to be processed",
    )
    return processed(body)


def wait_until_ready(worker: Worker, timeout: float) -> float:
    """Wait until the worker covers every partition again; return the seconds it took."""
    started = time.monotonic()
    worker.wait_until(
        partial(worker.get_json, SUMMARY),
        lambda body: bool(body["as_of"]["complete"]),
        timeout,
        "the worker to cover all partitions",
    )
    return time.monotonic() - started


def not_found(worker: Worker, path: str) -> dict[str, Any]:
    """The JSON body of a 404 answer; fails if the answer is anything else."""
    with pytest.raises(HTTPError) as error:
        worker.get_json(path)
    assert error.value.code == 404, f"{path}: {error.value.code}"
    body: dict[str, Any] = orjson.loads(error.value.read())
    return body


def assert_answers_equal_model(
    worker: Worker, model: ReferenceModel, partitions: int, sample_customers: int = 40
) -> None:
    """Every stats answer and a sample of customer answers equal the model, exactly."""
    for path, expected in expected_answers(model).items():
        body = worker.get_json(path)
        as_of = body.pop("as_of")
        assert body == expected, f"{path} on {worker.base_url}"
        assert as_of == {
            "newest_event_time": model.newest_event_time(),
            "lag": 0,
            "partitions_covered": partitions,
            "partitions_total": partitions,
            "complete": True,
        }, f"{path} on {worker.base_url}"

    rng = random.Random(3)
    sample = rng.sample(sorted(model.versions), min(sample_customers, len(model.versions)))
    for customer_id in sample:
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
