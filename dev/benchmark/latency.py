"""End-to-end latency: produced → visible in ``/api/stats/summary`` of a running worker.

A ``rocksdb://`` worker, ready and idle on a fresh topic, gets events at a steady
1,000 events/s while the summary is polled about every 10 ms. The latency of
event *i* (in produce order) is the first time a summary's processed count
reached *i* + 1, minus when *i* was handed to the producer. The count is over
all partitions, so this is an approximation: it times event *i* by when some
*i* + 1 events were processed, not necessarily *i* itself. The first
:data:`WARM_UP` seconds of the stream are left out of the percentiles.
"""

from __future__ import annotations

import asyncio
import math
import time

from dev.benchmark.answers import check_final
from dev.benchmark.broker import create_topic
from dev.benchmark.context import Context
from dev.benchmark.olf_worker import OlfWorker, WorkerFailed
from dev.benchmark.progress import say
from dev.benchmark.results import LatencyResult
from dev.benchmark.streams import PARTITIONS, SteadyProducer, mixed_events, reference_model
from tests.expected_answers import processed

#: The rate of the issue's target; not an option, so the verdict is always at it.
RATE = 1000.0
POLL_EVERY = 0.01
WARM_UP = 2.0


def latencies(sent_at: list[float], samples: list[tuple[float, int]]) -> list[float]:
    """Seconds from each event's send to the first sample whose count covers it.

    ``samples`` are (time, processed count) in time order; events never
    covered are left out.
    """
    found = []
    sample = 0
    for index, sent in enumerate(sent_at):
        while sample < len(samples) and samples[sample][1] < index + 1:
            sample += 1
        if sample == len(samples):
            break
        found.append(samples[sample][0] - sent)
    return found


def after_warm_up(sent_at: list[float], samples: list[tuple[float, int]]) -> list[float]:
    """:func:`latencies` of the events sent after the first :data:`WARM_UP` seconds."""
    if not sent_at:
        return []
    warm = sent_at[0] + WARM_UP
    each = latencies(sent_at, samples)
    return [seconds for sent, seconds in zip(sent_at, each, strict=False) if sent >= warm]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list, ``share`` in (0, 1]."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def poll_processed(worker: OlfWorker, count: int, deadline: float) -> list[tuple[float, int]]:
    """(time answered, processed count) every :data:`POLL_EVERY` s until ``count`` is reached.

    Raises:
        WorkerFailed: ``deadline`` (monotonic) passed first.
    """
    samples: list[tuple[float, int]] = []
    next_poll = time.monotonic()
    while time.monotonic() < deadline:
        summary = worker.summary()
        if summary is not None:
            samples.append((time.monotonic(), processed(summary)))
            if samples[-1][1] >= count:
                return samples
        # On a fixed cadence: a slow answer does not push the later polls back.
        next_poll = max(next_poll + POLL_EVERY, time.monotonic())
        time.sleep(max(0.0, next_poll - time.monotonic()))
    seen = samples[-1][1] if samples else 0
    raise WorkerFailed(f"only {seen:,} of {count:,} events were processed in time")


def run_latency(ctx: Context) -> LatencyResult:
    result = LatencyResult(RATE)
    count = int(RATE * ctx.options.latency_seconds)
    topic = ctx.name("latency")
    say(f"latency: {count:,} events at {RATE:,.0f}/s to an idle rocksdb:// worker")
    asyncio.run(create_topic(ctx.bootstrap, topic, PARTITIONS))
    stream = mixed_events(count, max(1, count // 5), seed=4)
    producer = SteadyProducer(ctx.bootstrap, topic, iter(stream), RATE, limit=count)
    with ctx.olf_worker(ctx.name("latency"), topic, "rocksdb://", "latency") as worker:
        worker.start()
        try:
            worker.wait_until(
                worker.summary, lambda s: bool(s["as_of"]["complete"]), 180.0, "a complete summary"
            )
            producer.start()
            try:
                deadline = time.monotonic() + ctx.options.latency_seconds + ctx.timeout(count)
                samples = poll_processed(worker, count, deadline)
            finally:
                sent = producer.stop()
            result.problems = check_final(worker, reference_model(sent))
        except (WorkerFailed, RuntimeError, OSError) as exc:
            result.error = str(exc).splitlines()[0]
            say(f"latency FAILED: {exc}")
            return result
    measured = after_warm_up(producer.sent_at, samples)
    result.events, result.measured = count, len(measured)
    if measured:
        result.p50_ms = percentile(measured, 0.50) * 1000
        result.p99_ms = percentile(measured, 0.99) * 1000
        result.max_ms = max(measured) * 1000
        say(
            f"latency: p50 {result.p50_ms:,.0f} ms, p99 {result.p99_ms:,.0f} ms,"
            f" max {result.max_ms:,.0f} ms over {len(measured):,} events"
        )
    return result
