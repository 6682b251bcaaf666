"""``kill -9`` recovery, restore from an empty state directory, and peak memory, by state size.

For each size N of ``--recovery-customers``, on a fresh topic and app:

1. prefill: one ``customer.created`` for each of N customers; a ``rocksdb://``
   worker processes them (its events/s along the way is throughput against
   state size). At the largest size, the changelog's end offsets once the
   worker has committed the whole prefill, over N: changelog messages per
   event when every customer changes once;
2. stream updates at ``--stream-rate``; once the worker has caught up and
   processed two more seconds of them, read its peak RSS (VmHWM), note its
   processed count and ``kill -9`` it;
3. restart it on the same ``OLF_DATA_DIR``; time from the kill until it has
   processed new events (its count above the one read just before the kill,
   so whatever it must process again comes first) and until its summary is
   complete again; recovered is the later of the two. The broker only hands
   the partitions over once the dead member's session times out
   (``OLF_BROKER_SESSION_TIMEOUT``, 10 s), so that is part of the time, as it
   is in production, and where in its heartbeat cycle the kill falls moves it
   by a few seconds: steps 2-3 run ``--kills`` times and the report gives the median;
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
from dev.benchmark.broker import committed_offsets, create_topic, offset_range
from dev.benchmark.context import Context
from dev.benchmark.olf_worker import OlfWorker, WorkerFailed
from dev.benchmark.progress import say
from dev.benchmark.results import Kill, RecoveryResult, RestoreResult
from dev.benchmark.streams import (
    PARTITIONS,
    SteadyProducer,
    created_customers,
    produce_all,
    reference_model,
    updates_of,
)
from tests.expected_answers import processed
from tests.reference_model import ReferenceModel, Sent

#: Seconds of live stream the worker must have processed before it is killed.
STREAM_BEFORE_KILL = 2.0
#: Points of the throughput-against-state-size curve per prefill.
CURVE_POINTS = 20
#: Seconds to wait for the worker to commit the whole prefill.
COMMIT_TIMEOUT = 60.0


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
    ctx: Context, customers: int, largest: bool
) -> tuple[RecoveryResult, RestoreResult | None]:
    """Measure kill -9 recovery at ``customers``; if ``largest``, the restore from empty too."""
    result = RecoveryResult(customers)
    restored = RestoreResult(customers) if largest else None
    label = f"recovery-{customers}"
    topic = ctx.name(label)
    failing: RecoveryResult | RestoreResult = result  # the part an error is charged to
    try:
        say(f"kill -9 at {customers:,} customers: producing the prefill")
        asyncio.run(create_topic(ctx.bootstrap, topic, PARTITIONS))
        prefill = created_customers(customers)
        produce_all(ctx.bootstrap, topic, prefill)
        changelog = f"{ctx.name(label)}-statistics-changelog"
        with ctx.olf_worker(ctx.name(label), topic, "rocksdb://", label) as worker:
            _prefill(ctx, worker, result, customers)
            if largest:
                written = _checkpointed_end(ctx, topic, ctx.name(label), changelog)
                result.prefill_changelog_per_event = written / customers
                say(f"  {result.prefill_changelog_per_event:.2f} changelog messages per event")
            streamed = _stream_and_kill(ctx, worker, result, topic, customers)
            model = reference_model(prefill + streamed)
            result.problems = check_final(worker, model, ctx.timeout(len(streamed)))
            say(f"kill -9 at {customers:,}: answers {'WRONG' if result.problems else 'right'}")
            if restored is not None:
                failing = restored
                _restore(ctx, worker, restored, changelog, model)
    except (WorkerFailed, RuntimeError, OSError) as exc:
        failing.error = str(exc).splitlines()[0]
        say(f"kill -9 at {customers:,} FAILED: {exc}")
    return result, restored


def _prefill(ctx: Context, worker: OlfWorker, result: RecoveryResult, customers: int) -> None:
    """Step 1: start the worker and time it through the prefill."""
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


def _checkpointed_end(ctx: Context, topic: str, app_id: str, changelog: str) -> int:
    """The changelog's end offsets once the worker has committed all of ``topic``.

    A commit follows the checkpoint that wrote the committed events' rows to the
    changelog (``tables/checkpoint.py``), so by then they are all there.

    Raises:
        RuntimeError: not all was committed within :data:`COMMIT_TIMEOUT` seconds.
    """
    _, end = asyncio.run(offset_range(ctx.bootstrap, topic))
    deadline = time.monotonic() + COMMIT_TIMEOUT
    while asyncio.run(committed_offsets(ctx.bootstrap, topic, app_id)) < end:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{app_id} did not commit {topic}'s end in {COMMIT_TIMEOUT:.0f} s")
        time.sleep(0.5)
    return asyncio.run(offset_range(ctx.bootstrap, changelog))[1]


def _stream_and_kill(
    ctx: Context, worker: OlfWorker, result: RecoveryResult, topic: str, customers: int
) -> list[Sent]:
    """Steps 2-3, ``--kills`` times; return the streamed messages."""
    stream = SteadyProducer(ctx.bootstrap, topic, updates_of(customers), ctx.options.stream_rate)
    stream.start()
    try:
        for kill in range(1, ctx.options.kills + 1):
            before = _caught_up(ctx, worker, customers + len(stream.sent))
            result.peak_mb = max(result.peak_mb or 0.0, worker.peak_rss_mb())
            last = processed(worker.summary() or before)
            killed = time.monotonic()
            worker.kill()
            worker.start()
            say(f"kill -9 at {customers:,}, {kill} of {ctx.options.kills}: killed at {last:,}")
            timed = _time_recovery(worker, killed, last)
            result.kills.append(timed)
            say(
                f"kill -9 at {customers:,}: processing again after"
                f" {timed.processing_again_s:.1f} s, complete after {timed.complete_again_s:.1f} s"
            )
    finally:
        streamed = stream.stop()
    return streamed


def _caught_up(ctx: Context, worker: OlfWorker, sent: int) -> dict[str, Any]:
    """Wait until ``worker`` has processed the ``sent`` messages and two seconds' more stream."""
    live = sent + int(ctx.options.stream_rate * STREAM_BEFORE_KILL)
    return worker.wait_until(
        worker.summary, lambda s: processed(s) >= live, ctx.timeout(live), "the live stream"
    )


def _time_recovery(worker: OlfWorker, killed: float, last: int) -> Kill:
    seen: dict[str, float] = {}  # "processing", "complete": seconds from the kill

    def recovered(summary: dict[str, Any]) -> bool:
        now = time.monotonic() - killed
        if processed(summary) > last:
            seen.setdefault("processing", now)
        if summary["as_of"]["complete"]:
            seen.setdefault("complete", now)
        return len(seen) == 2

    worker.wait_until(worker.summary, recovered, 300.0, "processing after the kill", every=0.01)
    return Kill(seen["processing"], seen["complete"])


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
