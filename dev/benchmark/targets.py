"""The issue's targets, fixed, and each one's verdict for a run.

The thresholds are the issue's and are never lowered: a run whose sizes are
smaller than the issue's (``--quick``, or smaller ``--recovery-customers``)
still gets a verdict, but it says at which size it was measured. A target that
could not be measured (its part failed) is MISSED.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dev.benchmark.results import Results
from dev.benchmark.scaling import ONE_WORKER, TWO_WORKERS
from dev.benchmark.throughput import OLF_ROCKSDB, QUIX

GIB_MB = 1024.0
#: The state sizes the issue names for the recovery and memory targets.
ISSUE_SMALL, ISSUE_LARGE = 100_000, 1_000_000


@dataclass(frozen=True)
class Verdict:
    target: str
    goal: str
    measured: str  # the value, and the size it was measured at when not the issue's
    met: bool

    @property
    def word(self) -> str:
        return "met" if self.met else "MISSED"


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def _size_note(customers: int, issue: int) -> str:
    return "" if customers == issue else f" (at {customers:,} customers, not {issue:,})"


def _verdict(
    target: str, goal: str, value: float | None, passes: Callable[[float], bool], shown: str
) -> Verdict:
    """``shown`` describes ``value``; a value of None was not measured, which is a miss."""
    if value is None:
        return Verdict(target, goal, "not measured", False)
    return Verdict(target, goal, shown, passes(value))


def evaluate(results: Results) -> list[Verdict]:
    """One verdict per target of the issues (throughput and recovery, then reads), in order."""
    olf, quix = results.reader(OLF_ROCKSDB), results.reader(QUIX)
    one, two = results.reader(ONE_WORKER), results.reader(TWO_WORKERS)
    vs_quix = _ratio(olf.rate if olf else None, quix.rate if quix else None)
    per_event = results.changelog_per_event
    restore = results.restore
    restore_rate = restore.rows_per_second if restore and not restore.error else None
    scaling = _ratio(two.rate if two else None, one.rate if one else None)
    latency = results.latency
    p99 = latency.p99_ms if latency and not latency.error else None
    largest = max(results.recoveries, key=lambda r: r.customers, default=None)
    peak = largest.peak_mb if largest and not largest.error else None
    restore_text = peak_text = ""
    if restore is not None:
        restore_text = (
            f"{restore_rate or 0:,.0f} rows/s ({restore.rows:,} rows in"
            f" {restore.seconds or 0:.1f} s){_size_note(restore.customers, ISSUE_LARGE)}"
        )
    if largest is not None:
        peak_text = f"{peak or 0:,.0f} MiB{_size_note(largest.customers, ISSUE_LARGE)}"
    return [
        _verdict(
            "OLF rocksdb:// / Quix Streams, same statistics",
            "≥ 2×",
            vs_quix,
            lambda ratio: ratio >= 2.0,
            f"{vs_quix or 0:.3f}×",
        ),
        _verdict(
            "changelog messages per event",
            "≤ 0.5",
            per_event,
            lambda messages: messages <= 0.5,
            f"{per_event or 0:.2f}",
        ),
        _recovery_verdict(results),
        _verdict(
            "restore from empty state",
            "≥ 50,000 rows/s",
            restore_rate,
            lambda rate: rate >= 50_000,
            restore_text,
        ),
        _verdict(
            "two workers / one worker",
            "≥ 1.4×",
            scaling,
            lambda ratio: ratio >= 1.4,
            f"{scaling or 0:.3f}×",
        ),
        _verdict(
            "end-to-end p99 at 1,000 events/s",
            "≤ 250 ms",
            p99,
            lambda ms: ms <= 250,
            f"{p99 or 0:,.0f} ms",
        ),
        _verdict(
            "peak RSS, 1M customers, rocksdb://",
            "≤ 1 GiB",
            peak,
            lambda mib: mib <= GIB_MB,
            peak_text,
        ),
        *_reads_verdicts(results),
    ]


def _reads_verdicts(results: Results) -> list[Verdict]:
    """The reads issue's targets; each ratio is the worse of idle and while events stream in."""
    reads = results.reads
    ok = reads is not None and reads.error is None

    def worst(labels: tuple[str, ...]) -> tuple[float | None, str]:
        if not ok or reads is None:
            return None, ""
        ratios = {
            f"{label}, {'streaming' if streaming else 'idle'}": reads.ratio(label, streaming)
            for label in labels
            for streaming in (False, True)
        }
        if None in ratios.values():
            return None, ""
        where, value = min(ratios.items(), key=lambda item: item[1] or 0.0)
        return value, f"{value or 0:.3f}× ({where}; the worst of {len(ratios)})"

    summary, summary_text = worst(("summary",))
    series, series_text = worst(("time series, 1m", "time series, 1h"))
    steady = reads.steady.p99_ms if ok and reads and reads.steady else None
    visible = reads.visible_p99_ms if ok and reads else None
    throughput = reads.throughput_ratio if ok and reads else None
    return [
        _verdict(
            "`/api/stats/summary` req/s / bare aiohttp handler",
            "≥ 0.5×",
            summary,
            lambda ratio: ratio >= 0.5,
            summary_text,
        ),
        _verdict(
            "time series req/s / bare handler (1m and 1h windows)",
            "≥ 0.3×",
            series,
            lambda ratio: ratio >= 0.3,
            series_text,
        ),
        _verdict(
            "p99 of the statistics endpoints at 1,000 req/s while 1,000 events/s stream in",
            "≤ 20 ms",
            steady,
            lambda ms: ms <= 20,
            f"{steady or 0:,.1f} ms",
        ),
        _verdict(
            "event produced → visible in `/api/stats/summary` (two workers), p99",
            "≤ 1 s",
            visible,
            lambda ms: ms <= 1000,
            f"{visible or 0:,.0f} ms",
        ),
        _verdict(
            "agents' throughput while the endpoints take 1,000 req/s / without reads",
            "≥ 0.8×",
            throughput,
            lambda ratio: ratio >= 0.8,
            f"{throughput or 0:.3f}×",
        ),
    ]


def _recovery_verdict(results: Results) -> Verdict:
    """Medians over each size's kills: their ratio, and the slower of the two against 15 s."""
    done = sorted(
        (r for r in results.recoveries if r.recovery_s is not None), key=lambda r: r.customers
    )
    target, goal = "kill -9 recovery at 1M customers / at 100k customers", "≤ 1.2×, and ≤ 15 s"
    if len(done) < 2 or len(done) != len(results.recoveries):
        return Verdict(target, goal, "not measured (needs two sizes)", False)
    small, large = done[0], done[-1]
    small_s, large_s = small.recovery_s or 0.0, large.recovery_s or 0.0  # not None: filtered
    ratio = large_s / small_s if small_s else float("inf")
    sizes = ""
    if (small.customers, large.customers) != (ISSUE_SMALL, ISSUE_LARGE):
        sizes = f" (at {large.customers:,} / {small.customers:,} customers)"
    slowest = max(small_s, large_s)
    kills = min(len(small.kills), len(large.kills))
    medians = f"medians of {kills} kills" if kills > 1 else "one kill each"
    measured = f"{ratio:.3f}×, {large_s:.1f} s and {small_s:.1f} s ({medians}){sizes}"
    return Verdict(target, goal, measured, ratio <= 1.2 and slowest <= 15.0)
