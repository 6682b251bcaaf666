"""One worker against two, like with like: the same input, produced while the workers run.

Started on a topic that already holds the input, a first worker would take all
of it and be far into it before a second joined; and timing two workers on
input produced while they run against one worker on a pre-produced topic
would charge the producer's share of the two cores to the two only. So both
group sizes are measured the same way, ``--repeats`` times each, alternating
(one, two, one, two, ...) so that whatever else the machine does falls on both:

1. a fresh ``rocksdb://`` app, its group's offsets committed at the end of
   the topic (one for every run, so it holds the earlier runs' input) before
   any worker joins;
2. start N workers (N = 1, 2) and wait until every one is ready and they own
   all 8 partitions between them, each its own;
3. produce ``--scale-events`` events of ``tests.random_stream`` and time from
   the start of producing until the summary counts all of them;
4. check every worker's answers against the reference model.

OLF's settings are its defaults, so with two workers each also keeps a standby
copy of the other's partitions (``OLF_STANDBY_REPLICAS=1``), as in production.

The verdict's ratio is the two medians': two workers over one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from dev.benchmark.answers import check_final, check_olf
from dev.benchmark.broker import commit_end_offsets, create_topic
from dev.benchmark.context import Context
from dev.benchmark.olf_worker import OlfWorker, stop_all
from dev.benchmark.progress import say
from dev.benchmark.results import ReaderResult, Results
from dev.benchmark.streams import PARTITIONS, mixed_events, produce_all, reference_model
from dev.benchmark.throughput import Run, progress_of, run_once
from tests.expected_answers import processed
from tests.reference_model import ReferenceModel, Sent

ONE_WORKER = "OLF rocksdb://, one worker, input produced while it runs"
TWO_WORKERS = "OLF rocksdb://, two workers, input produced while they run"
#: Workers of each group size, by its row.
GROUPS = {ONE_WORKER: 1, TWO_WORKERS: 2}
#: Seconds the workers get to join and split the partitions.
JOIN_TIMEOUT = 180.0
#: Seconds between summaries read while they work. With two workers each summary
#: also asks the other worker for its partitions; every 20 ms that took a
#: noticeable share of the two cores, every 100 ms it is small beside a run of
#: tens of seconds.
POLL_EVERY = 0.1


def run_scaling(ctx: Context, results: Results) -> None:
    """Measure each group size ``--repeats`` times, alternating; add a result per size."""
    events = ctx.options.scale_events
    say(f"scaling: one and two workers, {events:,} events produced while they run")
    topic = ctx.name("scaling")
    asyncio.run(create_topic(ctx.bootstrap, topic, PARTITIONS))
    stream = mixed_events(events, max(1, events // 5), seed=5)
    model = reference_model(stream)
    sizes = {name: ReaderResult(name, stateful=True) for name in GROUPS}
    for repeat in range(1, ctx.options.repeats + 1):
        for name, workers in GROUPS.items():
            result = sizes[name]
            if result.error is None:

                def run(n: int, workers: int = workers) -> Run:
                    return _group(ctx, topic, workers, stream, model, n)

                run_once(ctx, result, repeat, run)
    results.scaling += sizes.values()


def owned_by(worker: OlfWorker) -> set[int] | None:
    """The partitions a ready worker owns (``GET /api/ready``), None while it is not ready."""
    try:
        body = worker.get_json("/api/ready")
    except OSError:
        return None
    return set(body.get("partitions", []))


def split_all(owned: list[set[int]]) -> bool:
    """Every worker owns partitions, none twice, and all of them are owned."""
    every = set().union(*owned)
    return all(owned) and sum(map(len, owned)) == len(every) == PARTITIONS


def _group(
    ctx: Context, topic: str, workers: int, stream: list[Sent], model: ReferenceModel, repeat: int
) -> Run:
    events = len(stream)
    label = f"olf-{workers}w-{repeat}"
    app_id = ctx.name(label)
    asyncio.run(commit_end_offsets(ctx.bootstrap, topic, app_id))
    members = [
        ctx.olf_worker(app_id, topic, "rocksdb://", f"{label}-{'abcdefgh'[index]}")
        for index in range(workers)
    ]
    first = members[0]
    with contextlib.ExitStack() as stack:
        stack.callback(stop_all, members)
        for member in members:
            member.start()

        def owned() -> list[set[int]] | None:
            parts = [owned_by(member) for member in members]
            return None if None in parts else [part or set() for part in parts]

        first.wait_until(owned, split_all, JOIN_TIMEOUT, "the workers to own every partition", 0.05)
        if processed(first.wait_until(first.summary, lambda s: True, 30.0, "a summary")):
            raise RuntimeError(f"{label}: processed events before any were produced")
        started = time.monotonic()
        produce_all(ctx.bootstrap, topic, stream)
        first.wait_until(
            first.summary,
            lambda s: processed(s) >= events,
            ctx.timeout(events),
            f"all {events:,} events",
            every=POLL_EVERY,
            report=progress_of(label, events),
        )
        seconds = time.monotonic() - started
        peak = max(member.peak_rss_mb() for member in members)
        problems = check_final(first, model)
        for member in members[1:]:
            problems += check_olf(member.get_json, model)
    return events / seconds, seconds, peak, problems, []
