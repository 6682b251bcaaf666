"""What each part of the benchmark measured: plain records the report and plot read.

A part that failed (a worker that died, a reader that timed out) keeps its
``error`` and no numbers; answers that differ from the reference model are
kept as ``problems``. Either fails the run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class ReaderResult:
    """One reader over the throughput input (or one group size), run ``repeats`` times."""

    name: str
    stateful: bool
    rates: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def rate(self) -> float | None:
        """The median events/s over the runs, None when none finished."""
        return statistics.median(self.rates) if self.rates and not self.error else None

    @property
    def answers(self) -> str:
        """``right``, ``WRONG`` or ``n/a`` (the reader failed before it could be checked)."""
        if self.problems:
            return "WRONG"
        return "n/a" if self.error or not self.rates else "right"


@dataclass
class LatencyResult:
    """Produced → visible in ``/api/stats/summary`` of one running worker, at a steady rate."""

    rate: float
    events: int = 0
    measured: int = 0  # events after the warm-up, the ones the percentiles cover
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    problems: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Kill:
    """One ``kill -9`` of the worker and its restart, in seconds from the kill."""

    #: Until the restarted worker has processed new events.
    processing_again_s: float
    #: Until its summary covers every partition again.
    complete_again_s: float

    @property
    def recovery_s(self) -> float:
        """Kill to recovered: processing new events and complete again, the later of the two."""
        return max(self.processing_again_s, self.complete_again_s)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class RecoveryResult:
    """One state size: prefill it, stream on, ``kill -9`` the worker and restart it, repeatedly."""

    customers: int
    prefill_rate: float | None = None
    #: (customers held, events/s) along the prefill: throughput against state size.
    prefill_curve: list[tuple[float, float]] = field(default_factory=list)
    #: Changelog messages per prefill event (the largest size only): every customer changed once.
    prefill_changelog_per_event: float | None = None
    #: VmHWM just before each kill, the largest.
    peak_mb: float | None = None
    kills: list[Kill] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def processing_again_s(self) -> float | None:
        """The median over the kills."""
        return _median([kill.processing_again_s for kill in self.kills])

    @property
    def complete_again_s(self) -> float | None:
        """The median over the kills."""
        return _median([kill.complete_again_s for kill in self.kills])

    @property
    def recovery_s(self) -> float | None:
        """The median over the kills of kill to recovered; None when a kill failed or none ran."""
        if self.error:
            return None
        return _median([kill.recovery_s for kill in self.kills])


@dataclass
class RestoreResult:
    """The worker restarted with its ``OLF_DATA_DIR`` deleted: all state from the changelog."""

    customers: int
    rows: int = 0
    #: From starting the process until its summary is complete and counts every message.
    seconds: float | None = None
    #: From starting the process until its web server first answered (start-up, not restore).
    answering_s: float | None = None
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.seconds else None


@dataclass(frozen=True)
class Load:
    """Requests/s and latency percentiles (ms) of one endpoint under one load."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    #: Error statuses, socket errors and time-outs.
    errors: int


@dataclass
class ReadsResult:
    """The statistics endpoints of two workers beside a bare aiohttp handler (see ``reads``)."""

    #: By endpoint label (``bare`` included): as fast as wrk goes, idle / while events stream in.
    idle: dict[str, Load] = field(default_factory=dict)
    streaming: dict[str, Load] = field(default_factory=dict)
    #: The statistics endpoints in turn at a fixed rate, while events stream in,
    #: and the bare handler at that rate under the same stream.
    steady: Load | None = None
    steady_bare: Load | None = None
    #: Produced → visible in ``/api/stats/summary`` during the steady reads.
    visible_p50_ms: float | None = None
    visible_p99_ms: float | None = None
    #: Events/s of the two workers, without reads and with the steady reads.
    without_reads: list[float] = field(default_factory=list)
    with_reads: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    def ratio(self, label: str, streaming: bool) -> float | None:
        """Requests/s of ``label`` over the bare handler's, under the same load."""
        loads = self.streaming if streaming else self.idle
        if label not in loads or "bare" not in loads:
            return None
        return loads[label].requests_per_second / loads["bare"].requests_per_second

    @property
    def throughput_ratio(self) -> float | None:
        """Median events/s with the steady reads over the median without."""
        if not self.with_reads or not self.without_reads:
            return None
        return statistics.median(self.with_reads) / statistics.median(self.without_reads)


@dataclass
class Results:
    """Everything one run measured."""

    readers: list[ReaderResult] = field(default_factory=list)
    #: OLF rocksdb:// on the throughput input, from its first run.
    changelog_per_event: float | None = None
    #: One worker, two workers: the input produced once they own every partition.
    scaling: list[ReaderResult] = field(default_factory=list)
    latency: LatencyResult | None = None
    recoveries: list[RecoveryResult] = field(default_factory=list)
    restore: RestoreResult | None = None
    reads: ReadsResult | None = None
    #: Worth knowing but not a failure, e.g. a worker that had to be killed after SIGTERM.
    incidents: list[str] = field(default_factory=list)

    def reader(self, name: str) -> ReaderResult | None:
        """The throughput reader or group size called ``name``."""
        return next((r for r in self.readers + self.scaling if r.name == name), None)

    def wrong_answers(self) -> list[str]:
        """Every difference from the reference model, prefixed with where it was seen."""
        found = [f"{r.name}: {p}" for r in self.readers + self.scaling for p in r.problems]
        if self.latency is not None:
            found += [f"latency worker: {p}" for p in self.latency.problems]
        for recovery in self.recoveries:
            found += [f"kill -9 at {recovery.customers:,}: {p}" for p in recovery.problems]
        if self.restore is not None:
            found += [f"restore: {p}" for p in self.restore.problems]
        if self.reads is not None:
            found += [f"reads: {p}" for p in self.reads.problems]
        return found

    def errors(self) -> list[str]:
        """Every part that did not finish, with why."""
        parts: list[tuple[str, str | None]] = [
            (r.name, r.error) for r in self.readers + self.scaling
        ]
        if self.latency is not None:
            parts.append(("latency", self.latency.error))
        parts += [(f"kill -9 at {r.customers:,}", r.error) for r in self.recoveries]
        if self.restore is not None:
            parts.append(("restore", self.restore.error))
        if self.reads is not None:
            parts.append(("reads", self.reads.error))
        return [f"{name}: {error}" for name, error in parts if error]
