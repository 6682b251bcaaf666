"""``kill -9`` recovery, restore from an empty state directory, and peak memory, by state size.

For each size N of ``--recovery-customers``, on a fresh topic and app:

1. prefill: one ``customer.created`` for each of N customers; a ``rocksdb://``
   worker processes them (its events/s along the way is throughput against
   state size);
2. stream updates at ``--stream-rate``; once the worker processes them, read
   its peak RSS (VmHWM), note its processed count and ``kill -9`` it;
3. restart it on the same ``OLF_DATA_DIR``; time from the kill until it has
   processed new events (its count above the one read just before the kill,
   so whatever it must process again comes first) and until its summary is
   complete again; recovered is the later of the two. The broker only hands
   the partitions over once the dead member's session times out
   (``OLF_BROKER_SESSION_TIMEOUT``, 10 s), so that is part of the time, as it
   is in production;
4. stop the stream, let it catch up, check every answer against the model.

At the largest size, afterwards: stop the worker, delete its ``OLF_DATA_DIR``,
start it again and time it until its summary is complete with every message
counted: changelog rows (end minus beginning offsets) per second.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from dev.benchmark.answers import check_final
from dev.benchmark.broker import create_topic, offset_range
from dev.benchmark.context import Context
from dev.benchmark.olf_worker import OlfWorker, WorkerFailed, processed
from dev.benchmark.progress import say
from dev.benchmark.results import RecoveryResult, RestoreResult
from dev.benchmark.streams import (
    PARTITIONS,
    SteadyProducer,
    created_customers,
    produce_all,
    reference_model,
    updates_of,
)
from tests.reference_model import ReferenceModel, Sent

#: Seconds of live stream the worker must have processed before it is killed.
STREAM_BEFORE_KILL = 2.0
#: Points of the throughput-against-state-size curve per prefill.
CURVE_POINTS = 20


@dataclass
class Samples:
    """(time, processed count, complete) of every summary read: the prefill's progress."""

    points: list[tuple[float, int, bool]] = field(default_factory=list)

    def add(self, summary: dict[str, Any]) -> None:
        complete = bool(summary["as_of"]["complete"])
        self.points.append((time.monotonic(), processed(summary), complete))

    def curve(self, total: int) -> list[tuple[float, float]]:
        """(customers held, events/s) over successive stretches of about ``total / 20`` events.

        From where :meth:`OlfWorker.time_processing` starts timing: the last
        complete summary with nothing processed, else the first with something.
        """
        stretch = max(1, total // CURVE_POINTS)
        idle = [i for i, (_, count, complete) in enumerate(self.points) if complete and not count]
        busy = [i for i, (_, count, _) in enumerate(self.points) if count]
        if not busy:
            return []
        start_time, start_count, _ = self.points[idle[-1] if idle else busy[0]]
        curve = []
        for moment, count, _ in self.points[busy[0] :]:
            if count - start_count >= stretch and moment > start_time:
                curve.append(
                    ((start_count + count) / 2, (count - start_count) / (moment - start_time))
                )
                start_time, start_count = moment, count
        return curve


def run_recovery(
    ctx: Context, customers: int, restore: bool
) -> tuple[RecoveryResult, RestoreResult | None]:
    """Measure kill -9 recovery at ``customers``; with ``restore``, the restore from empty too."""
    result = RecoveryResult(customers)
    restored = RestoreResult(customers) if restore else None
    label = f"recovery-{customers}"
    topic = ctx.name(label)
    failing: RecoveryResult | RestoreResult = result  # the part an error is charged to
    try:
        say(f"kill -9 at {customers:,} customers: producing the prefill")
        asyncio.run(create_topic(ctx.bootstrap, topic, PARTITIONS))
        prefill = created_customers(customers)
        produce_all(ctx.bootstrap, topic, prefill)
        with ctx.olf_worker(ctx.name(label), topic, "rocksdb://", label) as worker:
            streamed = _prefill_then_kill(ctx, worker, result, topic, customers)
            model = reference_model(prefill + streamed)
            result.problems = check_final(worker, model, ctx.timeout(len(streamed)))
            say(f"kill -9 at {customers:,}: answers {'WRONG' if result.problems else 'right'}")
            if restored is not None:
                failing = restored
                _restore(ctx, worker, restored, f"{ctx.name(label)}-statistics-changelog", model)
    except (WorkerFailed, RuntimeError, OSError) as exc:
        failing.error = str(exc).splitlines()[0]
        say(f"kill -9 at {customers:,} FAILED: {exc}")
    return result, restored


def _prefill_then_kill(
    ctx: Context, worker: OlfWorker, result: RecoveryResult, topic: str, customers: int
) -> list[Sent]:
    """Steps 1-3; return the streamed messages."""
    samples = Samples()
    worker.start()
    seconds, timed = worker.time_processing(
        customers,
        ctx.timeout(customers),
        report=lambda s: say(f"  prefill: {processed(s):,} of {customers:,} processed"),
        observe=samples.add,
    )
    # None when the whole prefill fell in one step of the count: too small to time.
    result.prefill_rate = timed / seconds if timed else None
    result.prefill_curve = samples.curve(customers)
    rate = "too small to time" if result.prefill_rate is None else f"{result.prefill_rate:,.0f}/s"
    say(f"kill -9 at {customers:,}: prefill processed ({rate})")

    stream = SteadyProducer(ctx.bootstrap, topic, updates_of(customers), ctx.options.stream_rate)
    stream.start()
    try:
        live = customers + int(ctx.options.stream_rate * STREAM_BEFORE_KILL)
        before = worker.wait_until(
            worker.summary, lambda s: processed(s) >= live, ctx.timeout(live), "the live stream"
        )
        result.peak_mb = worker.peak_rss_mb()
        last = processed(worker.summary() or before)
        killed = time.monotonic()
        worker.kill()
        worker.start()
        say(f"kill -9 at {customers:,}: killed at {last:,} processed; restarted")
        _time_recovery(worker, result, killed, last)
        say(
            f"kill -9 at {customers:,}: processing again after {result.processing_again_s:.1f} s,"
            f" complete after {result.complete_again_s:.1f} s"
        )
    finally:
        streamed = stream.stop()
    return streamed


def _time_recovery(worker: OlfWorker, result: RecoveryResult, killed: float, last: int) -> None:
    def recovered(summary: dict[str, Any]) -> bool:
        now = time.monotonic() - killed
        if result.processing_again_s is None and processed(summary) > last:
            result.processing_again_s = now
        if result.complete_again_s is None and summary["as_of"]["complete"]:
            result.complete_again_s = now
        return result.processing_again_s is not None and result.complete_again_s is not None

    worker.wait_until(worker.summary, recovered, 300.0, "processing after the kill", every=0.01)


def _restore(
    ctx: Context, worker: OlfWorker, result: RestoreResult, changelog: str, model: ReferenceModel
) -> None:
    worker.stop()
    beginning, end = asyncio.run(offset_range(ctx.bootstrap, changelog))
    result.rows = end - beginning
    shutil.rmtree(worker.data_dir)
    say(f"restore: {result.rows:,} changelog rows into an empty state directory")
    total = model.applied + model.duplicates + model.rejected
    started = time.monotonic()
    worker.start()

    def restored(summary: dict[str, Any]) -> bool:
        if result.answering_s is None:
            result.answering_s = time.monotonic() - started
        return bool(summary["as_of"]["complete"]) and processed(summary) >= total

    worker.wait_until(
        worker.summary,
        restored,
        ctx.timeout(result.rows),
        "the restored summary",
        every=0.02,
    )
    result.seconds = time.monotonic() - started
    result.problems = check_final(worker, model)
    say(
        f"restore: {result.rows_per_second or 0:,.0f} rows/s ({result.seconds:.1f} s),"
        f" answers {'WRONG' if result.problems else 'right'}"
    )
