"""``make bench``: run every part, write BENCHMARKS.md and docs/benchmark.png, print the verdicts.

Exit code: 0 when every stateful reader's answers equal the reference model
and every part finished, whether or not the targets were met (missed targets
are reported as MISSED); 1 when any answer was wrong; 2 when a part failed.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import uuid
from pathlib import Path

from dev.benchmark.broker import ROOT, Broker, bench_port, delete_topics_of
from dev.benchmark.context import Context
from dev.benchmark.latency import run_latency
from dev.benchmark.options import Options, parse_options
from dev.benchmark.plot import plot
from dev.benchmark.progress import say
from dev.benchmark.reads import run_reads
from dev.benchmark.recovery import run_recovery
from dev.benchmark.report import render
from dev.benchmark.results import Results
from dev.benchmark.scaling import run_scaling
from dev.benchmark.targets import evaluate
from dev.benchmark.throughput import run_throughput

REPORT = ROOT / "BENCHMARKS.md"
PLOT = ROOT / "docs" / "benchmark.png"


def run_all(ctx: Context) -> Results:
    """Every part asked for, in order; a part that fails is recorded and the next one runs."""
    results = Results()
    parts = ctx.options.parts
    if "throughput" in parts:
        run_throughput(ctx, results)
    if "scaling" in parts:
        run_scaling(ctx, results)
    if "latency" in parts:
        results.latency = run_latency(ctx)
    largest = max(ctx.options.recovery_customers)
    for customers in ctx.options.recovery_customers if "recovery" in parts else ():
        recovery, restore = run_recovery(ctx, customers, largest=customers == largest)
        results.recoveries.append(recovery)
        results.restore = restore or results.restore
    if "reads" in parts:
        results.reads = run_reads(ctx)
    results.incidents = ctx.incidents
    return results


def measure(options: Options) -> Results:
    broker = Broker(bench_port())
    run_id = uuid.uuid4().hex[:6]
    log_dir = ROOT / ".local" / "bench" / run_id
    log_dir.mkdir(parents=True, exist_ok=True)
    say(f"run {run_id}: broker on {broker.bootstrap}; logs in {log_dir.relative_to(ROOT)}/")
    broker.start()
    try:
        with tempfile.TemporaryDirectory(prefix="olf-bench-") as data_root:
            ctx = Context(options, broker.bootstrap, run_id, log_dir, Path(data_root))
            return run_all(ctx)
    finally:
        try:
            removed = asyncio.run(delete_topics_of(broker.bootstrap, run_id))
            say(f"removed the run's {removed} topics")
        finally:
            broker.stop()


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    # aiokafka 0.14 warns of each produce it retries (a new topic's leader still
    # settling), although the retry succeeds; a produce that fails for good still raises.
    logging.getLogger("aiokafka.producer.sender").setLevel(logging.ERROR)
    results = measure(options)
    verdicts = evaluate(results)
    if options.partial:
        say(f"only {', '.join(options.parts)}: {REPORT.name} left as it was")
    else:
        plotted = plot(results, PLOT)
        REPORT.write_text(render(options, results, verdicts, PLOT.relative_to(ROOT).as_posix()))
        say(f"wrote {REPORT.name}" + (f" and {PLOT.relative_to(ROOT)}" if plotted else ""))

    print("\nTargets (from one run on this machine):")
    for verdict in verdicts:
        print(f"  {verdict.word:6}  {verdict.target} {verdict.goal}: {verdict.measured}")
    missed = sum(not verdict.met for verdict in verdicts)
    wrong, failed = results.wrong_answers(), results.errors()
    for line in wrong:
        print(f"WRONG ANSWER  {line}")
    for line in failed:
        print(f"FAILED  {line}")
    for line in results.incidents:
        print(f"NOTE  {line}")
    if wrong:
        print("Exit 1: a reader's answers differ from the reference model.")
        return 1
    if failed:
        print("Exit 2: a part of the benchmark did not finish.")
        return 2
    if missed:
        print(f"{missed} target(s) MISSED; every answer was right, so the exit code is 0.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
