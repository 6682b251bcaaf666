"""Schemathesis fuzzes a real worker with its own OpenAPI document.

Valid and invalid requests for every documented operation (but the endless
``/api/stream``, which ``test_stream_sse.py`` covers): no answer may be a
5xx, and every answer must match the document (status, content type, body
schema). Schemathesis' default checks decide; the run is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import requests
import schemathesis
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from app.web.openapi import OPENAPI_PATH
from app.web.stream import STREAM_PATH
from tests.events import message
from tests.integration.ready_workers import start_ready_workers
from tests.integration.worker import Worker

COUNT_TIMEOUT = 60.0
#: Requests per generation mode (positive, negative): about 200 in all.
EXAMPLES = 100
PRODUCE_EVERY = 0.05


def fuzz(base_url: str, mode: GenerationMode) -> int:
    """Run ``EXAMPLES`` generated requests of ``mode``; return how many were sent."""
    schema = schemathesis.openapi.from_url(base_url + OPENAPI_PATH).exclude(path=STREAM_PATH)
    sent = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case[Any]) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(base_url=base_url, session=session, timeout=10)

    with requests.Session() as session:
        check()
    return sent


async def test_fuzzing_finds_no_server_error_and_no_answer_off_the_document(
    worker_factory: Callable[..., Worker],
    producer: AIOKafkaProducer,
    events_topic: str,
) -> None:
    [worker] = start_ready_workers(worker_factory, 1)
    # Some data, so that answers have counts, points and a known customer.
    for index in range(20):
        key, value = message(f"fuzz-{index}", 1, country=("NL", "DE", "FR")[index % 3])
        await producer.send_and_wait(events_topic, value=value, key=key)
    worker.wait_until(
        lambda: worker.get_json("/api/stats/summary"),
        lambda body: body["customers"]["total"] == 20,
        COUNT_TIMEOUT,
        "the 20 customers to be counted",
    )

    # Events keep arriving while the fuzzer runs: answers change under it, as
    # in production (and the consumer's fetches return at once, keeping it fast).
    stop = asyncio.Event()
    background = asyncio.create_task(keep_producing(producer, events_topic, stop))
    try:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent = await asyncio.to_thread(fuzz, worker.base_url, mode)
            assert sent >= EXAMPLES // 2, f"{mode}: only {sent} requests generated"
    finally:
        stop.set()
        produced = await background
    assert produced > 0


async def keep_producing(producer: AIOKafkaProducer, topic: str, stop: asyncio.Event) -> int:
    """Publish an event every ``PRODUCE_EVERY`` seconds until ``stop`` (at most 10 minutes)."""
    produced = 0
    while not stop.is_set() and produced < 10 * 60 / PRODUCE_EVERY:
        key, value = message(f"live-{produced}", 1, country=("BE", "GB")[produced % 2])
        await producer.send_and_wait(topic, value=value, key=key)
        produced += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PRODUCE_EVERY)
    return produced
