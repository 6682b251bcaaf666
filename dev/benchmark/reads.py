"""Reads: OLF's statistics endpoints beside a bare aiohttp handler, idle and under load.

Two ``rocksdb://`` workers (OLF's defaults) split 8 partitions holding
:data:`CUSTOMERS` customers; :mod:`dev.benchmark.bare_http` runs beside them.

1. Idle, then while :data:`STREAM_RATE` events/s stream in: ``wrk`` (2 threads,
   32 connections) against each statistics endpoint of the first worker and
   against the bare handler, ``--read-seconds`` each. The ratios are requests/s
   over the bare handler's under the same load.
2. While :data:`STREAM_RATE` events/s stream in: the bare handler, then the
   statistics endpoints of both workers in turn, at :data:`READ_RATE`
   requests/s (:mod:`dev.benchmark.steady_reader`), timed from when each was due; and
   every event's time from being produced to being counted in the first
   worker's ``/api/stats/summary`` (polled every 10 ms, as in ``latency``).
3. The workers' throughput on :data:`BURST` events produced at once, without
   reads and with the steady reads, alternating, ``--repeats`` times each.

Both workers' answers are checked against the reference model at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from dev.benchmark.answers import check_final, check_olf
from dev.benchmark.broker import ROOT, create_topic
from dev.benchmark.context import Context
from dev.benchmark.http_load import LoadFailed, steady_reads, wrk, wrk_available
from dev.benchmark.latency import after_warm_up, percentile, poll_processed
from dev.benchmark.olf_worker import OlfWorker, WorkerFailed, stop_all
from dev.benchmark.progress import say
from dev.benchmark.results import Load, ReadsResult
from dev.benchmark.scaling import JOIN_TIMEOUT, owned_by, split_all
from dev.benchmark.streams import (
    PARTITIONS,
    SteadyProducer,
    created_customers,
    produce_all,
    reference_model,
    updates_of,
)
from dev.local_ports import free_port
from tests.expected_answers import processed
from tests.reference_model import Sent

#: About the issue's: "about 2,000 customers".
CUSTOMERS = 2000
STREAM_RATE = 1000.0
READ_RATE = 1000.0
#: Events produced at once for the throughput with and without reads.
BURST = 100_000
ENDPOINTS = {
    "summary": "/api/stats/summary",
    "customers by country": "/api/stats/customers?by=country",
    "time series, 1m": "/api/stats/timeseries?metric=updates&window=1m",
    "time series, 1h": "/api/stats/timeseries?metric=updates&window=1h",
}
BARE = "bare"


def run_reads(ctx: Context) -> ReadsResult:
    result = ReadsResult()
    if not wrk_available():
        result.error = "wrk is not installed (make bench installs Debian's package)"
        return result
    topic = ctx.name("reads")
    say(f"reads: two workers, {CUSTOMERS:,} customers, beside a bare aiohttp handler")
    asyncio.run(create_topic(ctx.bootstrap, topic, PARTITIONS))
    sent = created_customers(CUSTOMERS)
    produce_all(ctx.bootstrap, topic, sent)
    updates = updates_of(CUSTOMERS)
    app_id = ctx.name("reads")
    workers = [ctx.olf_worker(app_id, topic, "rocksdb://", f"reads-{n}") for n in "ab"]
    try:
        with contextlib.ExitStack() as stack, bare_server() as bare_url:
            stack.callback(stop_all, workers)
            for worker in workers:
                worker.start()
            _wait_until_ready(workers, len(sent))
            first = workers[0]
            urls = {label: first.url(path) for label, path in ENDPOINTS.items()}
            urls[BARE] = bare_url
            result.idle = _wrk_all(ctx, urls, "idle")
            sent += _while_streaming(ctx, topic, updates, lambda: _wrk_streaming(ctx, urls, result))
            sent += _steady_reads_and_visibility(
                ctx, topic, updates, workers, bare_url, len(sent), result
            )
            sent += _throughput(ctx, topic, updates, workers, len(sent), result)
            model = reference_model(sent)
            result.problems = check_final(first, model)
            result.problems += check_olf(workers[1].get_json, model)
    except (WorkerFailed, RuntimeError, OSError, LoadFailed) as exc:
        result.error = str(exc).splitlines()[0]
        say(f"reads FAILED: {exc}")
    return result


@contextlib.contextmanager
def bare_server() -> Iterator[str]:
    """Run :mod:`dev.benchmark.bare_http`; yield its URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dev.benchmark.bare_http", str(port)], cwd=ROOT
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(LoadFailed):
                wrk(url, 1)
                break
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _wait_until_ready(workers: list[OlfWorker], messages: int) -> None:
    first = workers[0]

    def owned() -> list[set[int]] | None:
        parts = [owned_by(worker) for worker in workers]
        return None if None in parts else [part or set() for part in parts]

    first.wait_until(owned, split_all, JOIN_TIMEOUT, "the workers to own every partition", 0.1)
    for worker in workers:
        worker.wait_until(
            worker.summary,
            lambda s: processed(s) >= messages and s["as_of"]["complete"],
            120.0,
            f"a complete summary of {messages:,} messages",
        )


def _wrk_all(ctx: Context, urls: dict[str, str], condition: str) -> dict[str, Load]:
    loads = {}
    for label, url in urls.items():
        loads[label] = load = wrk(url, ctx.options.read_seconds)
        say(
            f"  {condition:9} {label:21} {load.requests_per_second:8,.0f} req/s,"
            f" p50 {load.p50_ms:6.1f} ms, p99 {load.p99_ms:6.1f} ms"
            + (f", {load.errors} errors" if load.errors else "")
        )
    return loads


def _wrk_streaming(ctx: Context, urls: dict[str, str], result: ReadsResult) -> None:
    result.streaming = _wrk_all(ctx, urls, "streaming")


def _while_streaming(
    ctx: Context, topic: str, updates: Iterator[Sent], work: Callable[[], None]
) -> list[Sent]:
    """Run ``work`` while :data:`STREAM_RATE` events/s stream in; return the events sent."""
    producer = SteadyProducer(ctx.bootstrap, topic, updates, STREAM_RATE)
    producer.start()
    try:
        work()
    finally:
        sent = producer.stop()
    return sent


def _keep(result: ReadsResult, baseline: Load) -> None:
    result.steady_bare = baseline


def _steady_reads_and_visibility(
    ctx: Context,
    topic: str,
    updates: Iterator[Sent],
    workers: list[OlfWorker],
    bare_url: str,
    already: int,
    result: ReadsResult,
) -> list[Sent]:
    """Steady reads and produced → visible, both while events stream in; return the events sent."""
    first = workers[0]
    first.wait_until(first.summary, lambda s: processed(s) >= already, 120.0, "the stream's end")
    seconds = ctx.options.latency_seconds
    count = int(STREAM_RATE * seconds)
    say(
        f"reads: {READ_RATE:,.0f} requests/s to both workers' statistics while"
        f" {STREAM_RATE:,.0f} events/s stream in, {seconds:.0f} s"
    )
    # The bare handler first, under the same stream: what this machine allows.
    baseline = steady_reads([bare_url], READ_RATE, seconds, ctx.log_dir / "steady-bare.json")
    sent = _while_streaming(
        ctx, topic, updates, lambda: _keep(result, baseline.result(timeout=seconds + 60.0))
    )
    first.wait_until(
        first.summary, lambda s: processed(s) >= already + len(sent), 120.0, "caught up"
    )
    already += len(sent)
    urls = [worker.url(path) for path in ENDPOINTS.values() for worker in workers]
    reads = steady_reads(urls, READ_RATE, seconds, ctx.log_dir / "steady-reads.json")
    producer = SteadyProducer(ctx.bootstrap, topic, updates, STREAM_RATE, limit=count)
    producer.start()
    try:
        deadline = time.monotonic() + seconds + ctx.timeout(count)
        samples = poll_processed(first, already + count, deadline)
    finally:
        sent += producer.stop()
        steady = reads.result(timeout=seconds + 60.0)
    result.steady = steady
    counted = [(moment, seen - already) for moment, seen in samples]
    measured = after_warm_up(producer.sent_at, counted)
    if measured:
        result.visible_p50_ms = percentile(measured, 0.50) * 1000
        result.visible_p99_ms = percentile(measured, 0.99) * 1000
    bare = result.steady_bare
    if bare is not None:
        say(f"  steady reads, bare handler: p50 {bare.p50_ms:.1f} ms, p99 {bare.p99_ms:.1f} ms")
    say(
        f"  steady reads: {steady.requests_per_second:,.0f} req/s, p50 {steady.p50_ms:.1f} ms,"
        f" p99 {steady.p99_ms:.1f} ms, {steady.errors} errors; produced → visible p50"
        f" {result.visible_p50_ms or 0:.0f} ms, p99 {result.visible_p99_ms or 0:.0f} ms"
    )
    return sent


def _throughput(
    ctx: Context,
    topic: str,
    updates: Iterator[Sent],
    workers: list[OlfWorker],
    already: int,
    result: ReadsResult,
) -> list[Sent]:
    """Events/s of the two workers on bursts, without and with the steady reads; the events sent."""
    first = workers[0]
    burst_size = min(BURST, ctx.options.scale_events)
    urls = [worker.url(path) for path in ENDPOINTS.values() for worker in workers]
    total, sent = already, list[Sent]()
    for repeat in range(1, ctx.options.repeats + 1):
        for with_reads in (False, True):
            burst = list(itertools.islice(updates, burst_size))
            label = "with steady reads" if with_reads else "without reads"
            out = ctx.log_dir / f"burst-reads-{repeat}.json"
            # Longer than any burst takes: stopped once the burst is processed.
            reads = steady_reads(urls, READ_RATE, 3600.0, out) if with_reads else None
            try:
                started = time.monotonic()
                produce_all(ctx.bootstrap, topic, burst)
                goal = total + len(burst)

                def done(summary: dict[str, Any], goal: int = goal) -> bool:
                    return processed(summary) >= goal

                first.wait_until(
                    first.summary,
                    done,
                    ctx.timeout(len(burst)),
                    f"{len(burst):,} events {label}",
                    every=0.1,
                )
                rate = len(burst) / (time.monotonic() - started)
            finally:
                if reads is not None:
                    reads.stop()
            total, sent = total + len(burst), sent + burst
            (result.with_reads if with_reads else result.without_reads).append(rate)
            say(f"  burst {repeat}, {label}: {rate:,.0f} events/s")
    return sent
