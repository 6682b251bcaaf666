"""BENCHMARKS.md: the run's tables, ratios and verdicts, with the machine and the date."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from dev.benchmark.http_load import WRK_CONNECTIONS, WRK_THREADS
from dev.benchmark.options import Options
from dev.benchmark.reads import BARE, CUSTOMERS, READ_RATE, STREAM_RATE
from dev.benchmark.results import Kill, ReaderResult, Results
from dev.benchmark.scaling import ONE_WORKER, TWO_WORKERS
from dev.benchmark.targets import Verdict
from dev.benchmark.throughput import BARE_FAUST, OLF_JOIN, OLF_ROCKSDB, ORDER_SHARE, QUIX, RAW


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return pages * size / 2**30


def package(name: str) -> str:
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return f"{name} (not installed)"


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, {cpu_model()}, {memory_gib():.0f} GiB;"
        f" Python {platform.python_version()}; {platform.system()} {platform.release()}"
    )


def _ratio(top: ReaderResult | None, bottom: ReaderResult | None) -> str:
    if top is None or bottom is None or top.rate is None or not bottom.rate:
        return "n/a"
    return f"{top.rate / bottom.rate:.3f}×"


def _spread(reader: ReaderResult) -> str:
    return f"{min(reader.rates):,.0f}-{max(reader.rates):,.0f}"


def _readers(results: Results, options: Options) -> list[str]:
    ceiling = results.reader(RAW)
    lines = [
        f"{options.events:,} events of {options.customers:,} customers, produced before the"
        " readers start; each reader reads all of them from the beginning.",
        "",
        f"| reader | events/s (median of {options.repeats}) | range | share of the ceiling"
        " | peak memory (MiB) | answers |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for reader in results.readers:
        if reader.rate is None:
            lines.append(f"| {reader.name} | failed | | | | {reader.answers} |")
            continue
        share = f"{reader.rate / ceiling.rate:.1%}" if ceiling and ceiling.rate else "n/a"
        checked = reader.answers if reader.stateful else f"{reader.answers} (messages only)"
        lines.append(
            f"| {reader.name} | {reader.rate:,.0f} | {_spread(reader)} | {share} |"
            f" {max(reader.peak_mb):,.0f} | {checked} |"
        )
    olf = results.reader(OLF_ROCKSDB)
    per_event = results.changelog_per_event
    lines += [
        "",
        f"- OLF rocksdb:// / Quix Streams: **{_ratio(olf, results.reader(QUIX))}**",
        f"- OLF rocksdb:// / bare Faust agent: **{_ratio(olf, results.reader(BARE_FAUST))}**."
        " The bare Faust agent takes Faust's own path, one message at a time through its"
        " stream; OLF replaces that path with batch delivery (whole fetches to the agent,"
        " `app/workarounds/batch_delivery.py`), so the bare agent is no ceiling for OLF.",
        f"- OLF with orders / OLF without: **{_ratio(results.reader(OLF_JOIN), olf)}**. The"
        f" same number of events, {ORDER_SHARE:.0%} of them order events on a second,"
        " co-partitioned topic, each joined with its customer (an order row, and the"
        " customer's order totals per currency). No peer here: Quix Streams' reader"
        " implements the customer contract only; and no target: none is set for the join yet.",
        "- changelog messages per event (OLF rocksdb://, first run, on this same workload:"
        f" {options.events:,} events of {options.customers:,} customers): **"
        + ("n/a" if per_event is None else f"{per_event:.2f}")
        + "**. A checkpoint sends each row it changed once, however often the row changed"
        " since the last one (see `tables/checkpoint.py`), so this ratio depends on how many"
        " customers a checkpoint touches: when several events fall on one customer between"
        " checkpoints it drops; at a million customers each changing once it is about 1.0.",
        *_prefill_changelog(results),
    ]
    lines += [f"- note: {note}" for reader in results.readers for note in reader.notes]
    return lines


def _prefill_changelog(results: Results) -> list[str]:
    measured = [r for r in results.recoveries if r.prefill_changelog_per_event is not None]
    return [
        f"- a different workload, not the target's: the {r.customers:,}-customer kill -9"
        f" prefill (one `customer.created` per customer) wrote"
        f" **{r.prefill_changelog_per_event or 0:.2f}** changelog messages per event"
        " (the changelog's end offsets once the worker had committed the whole prefill, over"
        " the prefill's events)."
        for r in measured
    ]


def _scaling(results: Results, options: Options) -> list[str]:
    lines = [
        f"{options.scale_events:,} events of {max(1, options.scale_events // 5):,} customers,"
        " produced once the workers of a fresh app own every partition between them; timed from"
        " the start of producing until the summary counts all of them. One worker and two are"
        " measured the same way, alternating, so the producer's share of the cores falls on both.",
        "",
        f"| workers | events/s (median of {options.repeats}) | range | peak memory (MiB, larger"
        " worker) | answers |",
        "|---|---:|---:|---:|---|",
    ]
    for group in results.scaling:
        if group.rate is None:
            lines.append(f"| {group.name} | failed: {group.error} | | | {group.answers} |")
            continue
        lines.append(
            f"| {group.name} | {group.rate:,.0f} | {_spread(group)} | {max(group.peak_mb):,.0f}"
            f" | {group.answers} |"
        )
    one, two = results.reader(ONE_WORKER), results.reader(TWO_WORKERS)
    lines += ["", f"- two workers / one worker: **{_ratio(two, one)}** (of the medians)"]
    return lines


def _latency(results: Results) -> list[str]:
    latency = results.latency
    if latency is None:
        return ["Not run."]
    if latency.error or latency.p50_ms is None or latency.p99_ms is None:
        return [f"Failed: {latency.error or 'no event became visible'}"]
    return [
        f"{latency.events:,} events at {latency.rate:,.0f}/s to one idle rocksdb:// worker;"
        f" percentiles over the {latency.measured:,} sent after the first 2 s.",
        "",
        "| p50 | p99 | max | answers |",
        "|---:|---:|---:|---|",
        f"| {latency.p50_ms:,.0f} ms | {latency.p99_ms:,.0f} ms | {latency.max_ms or 0:,.0f} ms"
        f" | {'WRONG' if latency.problems else 'right'} |",
    ]


def _reads(results: Results) -> list[str]:
    reads = results.reads
    if reads is None:
        return ["Not run."]
    if reads.error:
        return [f"Failed: {reads.error}"]
    lines = [
        f"Two rocksdb:// workers, {CUSTOMERS:,} customers; `wrk -t{WRK_THREADS}"
        f" -c{WRK_CONNECTIONS} --latency` against the first worker and against a bare aiohttp"
        " handler (`dev/benchmark/bare_http.py`), idle and while"
        f" {STREAM_RATE:,.0f} events/s stream in.",
        "",
        "| endpoint | idle req/s | p50 | p99 | / bare | streaming req/s | p50 | p99 | / bare |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in reads.idle:
        row = [label]
        for streaming, loads in ((False, reads.idle), (True, reads.streaming)):
            load = loads.get(label)
            ratio = reads.ratio(label, streaming)
            if load is None:
                row += ["n/a"] * 4
                continue
            row += [
                f"{load.requests_per_second:,.0f}",
                f"{load.p50_ms:.1f} ms",
                f"{load.p99_ms:.1f} ms",
                "" if label == BARE or ratio is None else f"{ratio:.3f}×",
            ]
        lines.append("| " + " | ".join(row) + " |")
    steady = reads.steady
    if steady is not None:
        lines += [
            "",
            f"- The four statistics endpoints of both workers in turn at {READ_RATE:,.0f}"
            f" requests/s while {STREAM_RATE:,.0f} events/s stream in (timed from when each"
            f" request was due): {steady.requests_per_second:,.0f} req/s, p50"
            f" {steady.p50_ms:.1f} ms, p99 **{steady.p99_ms:.1f} ms**, {steady.errors} errors."
            + (
                ""
                if reads.steady_bare is None
                else f" The bare handler at that rate, under the same stream: p50"
                f" {reads.steady_bare.p50_ms:.1f} ms, p99 {reads.steady_bare.p99_ms:.1f} ms."
            ),
            f"- Meanwhile, produced → visible in the first worker's summary: p50"
            f" {reads.visible_p50_ms or 0:,.0f} ms, p99 **{reads.visible_p99_ms or 0:,.0f} ms**.",
        ]
    if reads.without_reads and reads.with_reads:
        lines.append(
            f"- Two workers on bursts of events: {_runs(reads.without_reads)} events/s without"
            f" reads, {_runs(reads.with_reads)} with {READ_RATE:,.0f} requests/s:"
            f" **{reads.throughput_ratio or 0:.3f}×** (of the medians)."
        )
    return lines


def _runs(rates: list[float]) -> str:
    return " / ".join(f"{rate:,.0f}" for rate in rates)


def _rate(value: float | None) -> str:
    return "too small to time" if value is None else f"{value:,.0f}"


def _seconds(median: float | None, each: list[float]) -> str:
    """The median, and the range when there was more than one kill."""
    if median is None:
        return "n/a"
    if len(each) < 2:
        return f"{median:.1f}"
    return f"{median:.1f} ({min(each):.1f}-{max(each):.1f})"


def _kills(kills: list[Kill]) -> tuple[list[float], list[float], list[float]]:
    return (
        [k.processing_again_s for k in kills],
        [k.complete_again_s for k in kills],
        [k.recovery_s for k in kills],
    )


def _recovery(results: Results, options: Options, plot: str) -> list[str]:
    lines = [
        f"Each state size prefilled once, then killed {options.kills} time(s) while the stream"
        " runs; seconds are the median over the kills, with their range.",
        "",
        "| customers | prefill events/s | peak RSS (MiB) | kills | kill → processing again (s)"
        " | kill → complete again (s) | recovered (s) | answers |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results.recoveries:
        processing, complete, recovered = _kills(r.kills)
        if r.error:
            lines.append(f"| {r.customers:,} | failed: {r.error} | | {len(r.kills)} | | | | n/a |")
            continue
        lines.append(
            f"| {r.customers:,} | {_rate(r.prefill_rate)} | {r.peak_mb or 0:,.0f} |"
            f" {len(r.kills)} | {_seconds(r.processing_again_s, processing)} |"
            f" {_seconds(r.complete_again_s, complete)} | {_seconds(r.recovery_s, recovered)} |"
            f" {'WRONG' if r.problems else 'right'} |"
        )
    done = [r for r in results.recoveries if r.recovery_s is not None]
    if len(done) >= 2 and done[0].recovery_s:
        ratio = (done[-1].recovery_s or 0) / done[0].recovery_s
        lines += [
            "",
            f"- recovery at {done[-1].customers:,} / at {done[0].customers:,} customers:"
            f" **{ratio:.3f}×** (medians; recovered: the later of processing again and complete"
            " again, per kill)",
        ]
    restore = results.restore
    if restore is not None:
        if restore.error or restore.seconds is None:
            lines.append(f"- restore from an empty state directory: failed: {restore.error}")
        else:
            lines.append(
                f"- restore from an empty state directory at {restore.customers:,} customers:"
                f" {restore.rows:,} changelog rows in {restore.seconds:.1f} s from process start"
                f" (it answered HTTP after {restore.answering_s or 0:.1f} s),"
                f" **{restore.rows_per_second or 0:,.0f} rows/s**,"
                f" answers {'WRONG' if restore.problems else 'right'}"
            )
    lines += ["", f"![Throughput and kill -9 recovery against state size]({plot})"]
    return lines


def _problems(results: Results) -> list[str]:
    wrong, failed = results.wrong_answers(), results.errors()
    lines = []
    if wrong or failed:
        lines += [
            "",
            "**This run failed:**",
            "",
            *(f"- WRONG ANSWER: {line}" for line in wrong),
            *(f"- FAILED: {line}" for line in failed),
        ]
    if results.incidents:
        lines += ["", "Seen during the run:", "", *(f"- {line}" for line in results.incidents)]
    return lines


def render(options: Options, results: Results, verdicts: list[Verdict], plot: str) -> str:
    """The whole of BENCHMARKS.md; ``plot`` is the PNG's path relative to it."""
    sizes = (
        f"{options.events:,} events ({options.customers:,} customers), {options.repeats} run(s)"
        f" per reader; one and two workers on {options.scale_events:,} events,"
        f" {options.repeats} run(s) each; latency {options.latency_seconds:.0f} s;"
        f" {options.kills} kill -9(s) at each of"
        f" {', '.join(f'{n:,}' for n in options.recovery_customers)} customers;"
        f" reads: wrk {options.read_seconds:.0f} s per endpoint"
    )
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m dev.benchmark`, code in `dev/benchmark/`). Every",
        "number below comes from one run on one machine: one local Kafka broker, every reader",
        "on the same topic with a consumer group of its own, each in a process of its own.",
        "Every stateful reader's answers are checked against the reference model",
        "(`tests/reference_model.py`); a wrong answer fails the run. Re-run to refresh.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Software: Apache Kafka 4.1 (one local broker), {package('faust-streaming')},"
        f" {package('aiokafka')}, {package('quixstreams')}",
        f"- Run: {'`--quick`, ' if options.quick else ''}{sizes}",
        "- Input: `tests.random_stream` (updates, deletes, ~5% re-sent, ~2% malformed) on 8"
        " partitions; for kill -9, one `customer.created` per customer, then updates",
        "",
        "## Targets",
        "",
        "| target | goal | measured | verdict |",
        "|---|---|---|---|",
        *(f"| {v.target} | {v.goal} | {v.measured} | **{v.word}** |" for v in verdicts),
        "",
        "The targets are the issue's, as ratios from this one run (medians where a part is",
        "repeated). A MISSED target does not fail `make bench` (exit 0); a wrong answer does",
        "(exit 1), and so does a part that could not finish (exit 2).",
        *_problems(results),
        "",
        "## Throughput",
        "",
        *_readers(results, options),
        "",
        "## One worker and two workers",
        "",
        *_scaling(results, options),
        "",
        "## End-to-end latency (produced → visible in `/api/stats/summary`)",
        "",
        *_latency(results),
        "",
        "## kill -9 recovery, restore and memory against state size",
        "",
        *_recovery(results, options, plot),
        "",
        "## Reads",
        "",
        *_reads(results),
        "",
        "## How it is measured",
        "",
        "- Throughput leaves start-up out: the aiokafka consumer, the bare Faust agent and"
        " Quix Streams time themselves from their first message to their last; OLF is timed"
        " from the last summary (polled every 20 ms) that covered every partition with nothing"
        " processed yet, until the summary counts every event.",
        "- One worker and two workers: started on a full topic, one worker would take the input"
        " before a second joined, so each run is a fresh app whose group's offsets are"
        " committed at the topic's end before any worker joins; once its one or two"
        " workers are ready and own all 8 partitions between them, the input is produced, and"
        " they are timed from the start of producing until the summary (polled every 100 ms, as"
        " one worker's summary asks the other for its partitions) counts all of it. The"
        " producer shares the two cores in both, so the ratio compares like with like; the"
        " rates are lower than the pre-produced `OLF, rocksdb://` row for that reason. OLF's"
        " defaults otherwise: with two workers each also keeps a standby copy of the other's"
        " partitions (`OLF_STANDBY_REPLICAS=1`).",
        "- Quix Streams: `dev/benchmark/quix_statistics.py`, OLF's event contract and"
        " statistics with per-customer `State` and `group_by` + `State` per bucket, Quix's"
        " defaults otherwise (at-least-once, 5 s commit interval, RocksDB with changelogs).",
        "- Bare Faust agent: `dev/benchmark/bare_faust.py`, parse and count in a plain dict"
        " through Faust's per-message path (consumer, stream, acks); no tables.",
        "- Latency: the summary's processed count polled every 10 ms while 1,000 events/s are"
        " produced; event *i* is visible when the count first reaches *i* + 1.",
        "- kill -9: `SIGKILL` to the worker's process group while 1,000 events/s stream in;"
        " restarted on the same `OLF_DATA_DIR`. Processing again: its count passes the one read"
        " just before the kill; recovered: that and a complete summary. The broker's 10 s"
        " session timeout is part of it, and where in the heartbeat cycle the kill falls moves"
        " it by a few seconds, hence several kills per size (each once the worker has caught up"
        " with the stream and processed 2 s more of it) and their median.",
        "- Restore: the worker stopped, its `OLF_DATA_DIR` deleted, started again; changelog"
        " rows (end minus beginning offsets) over the seconds from starting the process until"
        " its summary is complete and counts every message.",
        "- Changelog messages per event: the sum of the end offsets of"
        " `<app id>-statistics-changelog` after the first rocksdb:// throughput run (stopped"
        " gracefully, so every write counts), over its events.",
        "- Peak memory: `VmHWM` of the process (two workers: the larger; OLF at a kill -9"
        " size: the largest read just before a kill).",
        "- Reads: every statistics answer comes from the worker's merged view; wrk keeps 32"
        " connections busy, so req/s is what the worker serves flat out on the cores it shares"
        " with wrk, the broker and the other worker. The bare handler runs under the same"
        " load, so the ratio compares like with like.",
        "- The broker shares the machine's cores with the reader under test, and so does"
        " anything else running at the time: compare numbers within one run. At `--quick`"
        " sizes OLF's runs last a few seconds, so its rates and ratios are rough.",
        "",
    ]
    return "\n".join(lines)
