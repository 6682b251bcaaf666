"""The benchmark's command line: every size is an option, ``--quick`` picks small ones."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """The sizes of one run; the targets do not depend on them (see ``targets``)."""

    #: Messages of the throughput input (``tests.random_stream``) and its customers.
    events: int
    customers: int
    #: Runs of each throughput reader, and of each group size; the report gives the median.
    repeats: int
    #: Messages produced to the workers of the group measurement (one worker, two workers).
    scale_events: int
    #: Seconds of the steady 1,000 events/s stream the latency is measured on
    #: (and the reads' steady load).
    latency_seconds: float
    #: Seconds wrk loads each endpoint in the reads part.
    read_seconds: float
    #: State sizes (customers) of the kill -9 runs; the largest also gets the
    #: restore and peak-memory measurements.
    recovery_customers: tuple[int, ...]
    #: kill -9s at each state size; the report gives the median.
    kills: int
    #: Events/s streamed to the worker around each kill.
    stream_rate: float
    #: Slowest rate (events/s) at which a reader or worker is still waited for.
    min_rate: float
    #: ``--quick`` was given (the report says so).
    quick: bool
    #: The parts to run (``--only``); all of :data:`PARTS` unless given.
    parts: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        """Not every part runs: the run prints its verdicts but writes no report."""
        return set(self.parts) != set(PARTS)


#: The benchmark's parts, in the order they run.
PARTS = ("throughput", "scaling", "latency", "recovery", "reads")


def _parts(text: str) -> tuple[str, ...]:
    parts = tuple(part for part in text.split(",") if part)
    unknown = set(parts) - set(PARTS)
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"give parts of: {', '.join(PARTS)}")
    return parts


@dataclass(frozen=True)
class Sizes:
    """Defaults for a full run (the issue's workload) and for ``--quick`` (about two minutes)."""

    events: int
    repeats: int
    scale_events: int
    latency_seconds: float
    read_seconds: float
    recovery: tuple[int, ...]
    kills: int


#: The issue's: 100,000 events of 20,000 customers, each reader three times.
FULL = Sizes(
    events=100_000,
    repeats=3,
    scale_events=300_000,
    latency_seconds=30.0,
    read_seconds=10.0,
    recovery=(100_000, 1_000_000),
    kills=3,
)
QUICK = Sizes(
    events=30_000,
    repeats=1,
    scale_events=30_000,
    latency_seconds=8.0,
    read_seconds=3.0,
    recovery=(1_000, 10_000),
    kills=1,
)


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part}))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("give positive numbers of customers, comma-separated")
    return sizes


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m dev.benchmark",
        description="OLF beside a raw consumer, a bare Faust agent and Quix Streams; one and two"
        " workers; kill -9 recovery, restore, latency and memory. Writes BENCHMARKS.md and"
        " docs/benchmark.png.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one run of each")
    parser.add_argument(
        "--only",
        type=_parts,
        default=PARTS,
        help=f"comma-separated parts to run (of {', '.join(PARTS)}); writes no report",
    )
    parser.add_argument("--events", type=int, help=f"throughput input (default {FULL.events:,})")
    parser.add_argument("--customers", type=int, help="customers in it (default events / 5)")
    parser.add_argument(
        "--repeats", type=int, help=f"runs per reader and group size (default {FULL.repeats})"
    )
    parser.add_argument(
        "--scale-events",
        type=int,
        help=f"input of the one- and two-worker runs (default {FULL.scale_events:,})",
    )
    parser.add_argument("--latency-seconds", type=float, help=f"default {FULL.latency_seconds:.0f}")
    parser.add_argument(
        "--read-seconds", type=float, help=f"wrk per endpoint (default {FULL.read_seconds:.0f})"
    )
    parser.add_argument(
        "--recovery-customers",
        type=_sizes,
        help="comma-separated state sizes for kill -9 (default 100000,1000000)",
    )
    parser.add_argument("--kills", type=int, help=f"kill -9s per state size (default {FULL.kills})")
    parser.add_argument("--stream-rate", type=float, default=1000.0, help="events/s around a kill")
    parser.add_argument(
        "--min-rate", type=float, default=100.0, help="give up on a reader slower than this"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    events = args.events or sizes.events
    return Options(
        events=events,
        customers=args.customers or max(1, events // 5),
        repeats=args.repeats or sizes.repeats,
        scale_events=args.scale_events or sizes.scale_events,
        latency_seconds=args.latency_seconds or sizes.latency_seconds,
        read_seconds=args.read_seconds or sizes.read_seconds,
        recovery_customers=args.recovery_customers or sizes.recovery,
        kills=args.kills or sizes.kills,
        stream_rate=args.stream_rate,
        min_rate=args.min_rate,
        quick=args.quick,
        parts=args.only,
    )
