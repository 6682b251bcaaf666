"""Workers that are ready (``GET /api/ready``) before a test talks to them."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError

import orjson

from tests.integration.worker import Worker

READY_TIMEOUT = 90.0
PARTITIONS = 8


def readiness(worker: Worker) -> tuple[int, Any]:
    """Status and JSON body of the worker's ``/api/ready``, a 503 included."""
    try:
        with urllib.request.urlopen(worker.base_url + "/api/ready", timeout=5) as response:
            return response.status, orjson.loads(response.read())
    except HTTPError as error:
        return error.code, orjson.loads(error.read())


def start_ready_workers(
    worker_factory: Callable[..., Worker], count: int, **env: str
) -> list[Worker]:
    """``count`` workers, each ready, that together own every partition once.

    Raises:
        AssertionError: they were not ready within ``READY_TIMEOUT`` seconds.
    """
    workers = [worker_factory(**env) for _ in range(count)]

    def all_owned(states: list[tuple[int, Any]]) -> bool:
        if any(status != 200 or not body["partitions"] for status, body in states):
            return False
        owned = sorted(p for _, body in states for p in body["partitions"])
        return owned == list(range(PARTITIONS))

    workers[0].wait_until(
        lambda: [readiness(worker) for worker in workers],
        all_owned,
        READY_TIMEOUT,
        f"{count} ready workers owning all {PARTITIONS} partitions between them",
    )
    return workers
