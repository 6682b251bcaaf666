"""docs/benchmark.png: OLF's throughput and kill -9 recovery time against state size."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, NullFormatter

from dev.benchmark.results import Kill, Results

#: The issue's ceiling for a recovery, session timeout included.
RECOVERY_TARGET_S = 15.0


def _label(axes: Any, x: str, y: str, title: str) -> None:
    """Log x axis of customers in plain numbers ("100,000"), y from zero, a light grid."""
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    axes.set_title(title)
    axes.set_ylim(bottom=0)
    axes.grid(True, which="both", alpha=0.3)


def plot(results: Results, path: Path) -> bool:
    """Draw both panels into ``path``; False (and no file) when nothing was measured."""
    recoveries = [r for r in results.recoveries if not r.error]
    if not recoveries:
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)

    curves = [r for r in recoveries if r.prefill_curve]
    for recovery in curves:
        held, rates = zip(*recovery.prefill_curve, strict=True)
        left.plot(held, rates, marker=".", label=f"prefill of {recovery.customers:,}")
    if not curves:
        left.text(0.5, 0.5, "prefills too small to time", ha="center", transform=left.transAxes)
    _label(
        left,
        "customers held by the worker",
        "events/s",
        "OLF rocksdb://: throughput as state grows",
    )
    if curves:
        left.legend()

    timed = [r for r in recoveries if r.recovery_s is not None]
    sizes = [r.customers for r in timed]
    lines: list[tuple[str, str, Callable[[Kill], float]]] = [
        ("o", "processing again", lambda kill: kill.processing_again_s),
        ("s", "summary complete", lambda kill: kill.complete_again_s),
    ]
    for marker, label, seconds in lines:
        each = [[seconds(kill) for kill in r.kills] for r in timed]
        medians = [statistics.median(values) for values in each]
        spread = [
            [m - min(values) for m, values in zip(medians, each, strict=True)],
            [max(values) - m for m, values in zip(medians, each, strict=True)],
        ]
        right.errorbar(sizes, medians, yerr=spread, marker=marker, capsize=4, label=label)
    right.axhline(RECOVERY_TARGET_S, color="grey", linestyle="--", label="target: 15 s")
    _label(
        right,
        "customers",
        "seconds after kill -9",
        "kill -9 → recovered: median and range (10 s session timeout included)",
    )
    right.legend()

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return True
