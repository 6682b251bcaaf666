"""Throughput: every reader over the same topic, each from the beginning in a process of its own.

The issue's workload: one input (``tests.random_stream``, by default 100,000
events of 20,000 customers: updates, deletes, re-sends, ~2% malformed) is
produced once; then each reader reads all of it with a consumer group (or app
id) of its own, ``--repeats`` times:

* the raw aiokafka consumer (the ceiling) and a bare Faust agent (Faust's
  per-message path, which OLF replaces with batch delivery); they only count,
  so only the number of messages they read is checked;
* Quix Streams with OLF's statistics, and OLF with ``memory://`` and with
  ``rocksdb://``: their answers are checked against the reference model.

Timing leaves start-up out: from the first message to the last for the
readers that report it themselves; from the moment processing begins, as the
summary shows it, for OLF (see :meth:`OlfWorker.time_processing`).

Also measured here, on the same input: OLF's changelog messages per event
(``rocksdb://``). One worker against two is :mod:`.scaling`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from dev.benchmark.answers import check_final, check_messages, check_quix
from dev.benchmark.broker import create_topic, offset_range
from dev.benchmark.context import Context
from dev.benchmark.olf_worker import WorkerFailed
from dev.benchmark.progress import say
from dev.benchmark.reader_process import ReaderFailed, ReaderOutput, run_reader
from dev.benchmark.results import ReaderResult, Results
from dev.benchmark.streams import (
    PARTITIONS,
    mixed_events,
    order_topic,
    produce_all,
    reference_model,
)
from tests.expected_answers import processed
from tests.reference_model import ReferenceModel

RAW = "aiokafka consumer (the ceiling)"
BARE_FAUST = "bare Faust agent (Faust's per-message path)"
QUIX = "Quix Streams 3.28.1, same statistics"
OLF_MEMORY = "OLF, memory://"
OLF_ROCKSDB = "OLF, rocksdb://"
OLF_JOIN = "OLF, rocksdb://, a third of the events orders (the join)"
#: The share of order events in the join's workload.
ORDER_SHARE = 0.3

#: Reader module, and how its answers are checked.
PROCESS_READERS: dict[str, tuple[str, bool]] = {
    RAW: ("raw_consumer", False),
    BARE_FAUST: ("bare_faust", False),
    QUIX: ("quix_statistics", True),
}


def run_throughput(ctx: Context, results: Results) -> None:
    """Produce the input, then run every reader on it; add a result per reader."""
    topic = ctx.name("throughput")
    events = ctx.options.events
    say(f"throughput: producing {events:,} events ({ctx.options.customers:,} customers) to {topic}")
    asyncio.run(create_topic(ctx.bootstrap, topic, PARTITIONS))
    stream = mixed_events(events, ctx.options.customers, seed=1)
    produce_all(ctx.bootstrap, topic, stream)
    model = reference_model(stream)
    for name, (module, stateful) in PROCESS_READERS.items():

        def run(repeat: int, module: str = module, stateful: bool = stateful) -> Run:
            return _process_reader(ctx, module, stateful, topic, model, repeat)

        results.readers.append(_repeat(ctx, name, stateful, run))
    results.readers.append(
        _repeat(ctx, OLF_MEMORY, True, lambda n: _olf(ctx, "memory://", topic, model, n))
    )
    per_event: list[float] = []
    results.readers.append(
        _repeat(
            ctx, OLF_ROCKSDB, True, lambda n: _olf(ctx, "rocksdb://", topic, model, n, per_event)
        )
    )
    results.changelog_per_event = per_event[0] if per_event else None
    _run_join(ctx, results)


def _run_join(ctx: Context, results: Results) -> None:
    """OLF on as many events of which a third are orders, joined with their customers."""
    topic = ctx.name("throughput-join")
    events = ctx.options.events
    say(f"throughput: producing {events:,} events, {ORDER_SHARE:.0%} of them orders, to {topic}")
    for name in (topic, order_topic(topic)):
        asyncio.run(create_topic(ctx.bootstrap, name, PARTITIONS))
    stream = mixed_events(events, ctx.options.customers, seed=1, orders=ORDER_SHARE)
    produce_all(ctx.bootstrap, topic, stream)
    model = reference_model(stream)
    results.readers.append(
        _repeat(
            ctx, OLF_JOIN, True, lambda n: _olf(ctx, "rocksdb://", topic, model, n, label="join")
        )
    )


#: One run of a reader: (events/s, seconds, peak MiB, answer problems, notes).
Run = tuple[float, float, float, list[str], list[str]]


def _repeat(ctx: Context, name: str, stateful: bool, run: Callable[[int], Run]) -> ReaderResult:
    result = ReaderResult(name, stateful)
    for repeat in range(1, ctx.options.repeats + 1):
        if not run_once(ctx, result, repeat, run):
            break
    return result


def run_once(ctx: Context, result: ReaderResult, repeat: int, run: Callable[[int], Run]) -> bool:
    """Run ``repeat`` of ``result``'s reader and add its numbers.

    Returns False, with ``result.error`` set, when the run failed.
    """
    say(f"throughput: {result.name}, run {repeat} of {ctx.options.repeats}")
    try:
        rate, seconds, peak, problems, notes = run(repeat)
    except (ReaderFailed, WorkerFailed, RuntimeError, OSError) as exc:
        result.error = str(exc).splitlines()[0]
        say(f"throughput: {result.name} FAILED: {exc}")
        return False
    result.rates.append(rate)
    result.seconds.append(seconds)
    result.peak_mb.append(peak)
    result.problems += problems
    result.notes += notes
    verdict = "answers WRONG" if problems else "answers right" if result.stateful else "all read"
    say(f"throughput: {result.name}: {rate:,.0f} events/s, {peak:,.0f} MiB peak, {verdict}")
    return True


def _process_reader(
    ctx: Context, module: str, stateful: bool, topic: str, model: ReferenceModel, repeat: int
) -> Run:
    events = ctx.options.events
    label = f"{module}-{repeat}"
    arguments = [
        *("--bootstrap", ctx.bootstrap, "--topic", topic, "--events", str(events)),
        *("--group", ctx.name(label), "--state-dir", str(ctx.data_root / label)),
    ]
    output: ReaderOutput = run_reader(
        module,
        arguments,
        result=ctx.log_dir / f"{label}.json",
        log=ctx.log_dir / f"{label}.log",
        timeout=ctx.timeout(events),
    )
    if stateful:
        problems = check_quix(output.answers, model)
    else:
        problems = check_messages(output.answers, events)
    return events / output.seconds, output.seconds, output.peak_mb, problems, []


def progress_of(what: str, total: int) -> Callable[[dict[str, Any]], None]:
    return lambda summary: say(f"  {what}: {processed(summary):,} of {total:,} processed")


def _olf(
    ctx: Context,
    store: str,
    topic: str,
    model: ReferenceModel,
    repeat: int,
    changelog_per_event: list[float] | None = None,
    label: str = "",
) -> Run:
    events = ctx.options.events
    label = f"olf-{label or store.removesuffix('://')}-{repeat}"
    app_id = ctx.name(label)
    with ctx.olf_worker(app_id, topic, store, label) as worker:
        worker.start()
        seconds, timed = worker.time_processing(
            events, ctx.timeout(events), report=progress_of(label, events)
        )
        peak = worker.peak_rss_mb()
        problems = check_final(worker, model)
    if changelog_per_event is not None and not changelog_per_event:
        # After the graceful stop, so every changelog write the worker made is counted.
        _, end = asyncio.run(offset_range(ctx.bootstrap, f"{app_id}-statistics-changelog"))
        changelog_per_event.append(end / events)
    notes = _too_small(timed, events, label)
    return timed / seconds, seconds, peak, problems, notes


def _too_small(timed: int, events: int, label: str) -> list[str]:
    """A note when under half the events were timed; an error when under a quarter.

    Raises:
        RuntimeError: too few events were processed after timing began to give a rate.
    """
    if timed >= events // 2:
        return []
    message = f"{label}: only {timed:,} of {events:,} events were timed; use more --events"
    if timed < events // 4:
        raise RuntimeError(message)
    return [message]
