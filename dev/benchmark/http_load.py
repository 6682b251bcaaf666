"""HTTP load for the reads part: wrk as fast as it goes, and a steady reader at a fixed rate.

``wrk`` (Debian's package; ``make bench`` installs it) measures how many
requests per second an endpoint serves and their latency with 32 connections
kept busy. :func:`steady_reads` runs :mod:`dev.benchmark.steady_reader` in a
process of its own, which sends requests at a fixed rate whatever the answers
take, and times each from when it was due, so a stall shows in the
percentiles instead of slowing the load (no coordinated omission).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson

from dev.benchmark.broker import ROOT
from dev.benchmark.results import Load

WRK_THREADS = 2
WRK_CONNECTIONS = 32
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class LoadFailed(RuntimeError):
    """The load generator failed or answered something it cannot read."""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s)", text)
    if match is None:
        raise LoadFailed(f"wrk printed a latency it cannot read: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str) -> Load:
    """Read wrk's ``--latency`` report."""
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if rate is None or p50 is None or p99 is None:
        raise LoadFailed(f"wrk printed no rate or percentiles:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx[1]) if non_2xx else 0
    return Load(float(rate[1]), _ms(p50[1]), _ms(p99[1]), errors)


def wrk(url: str, seconds: float) -> Load:
    """``wrk`` against ``url`` for ``seconds`` with :data:`WRK_CONNECTIONS` connections."""
    done = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LoadFailed(f"wrk exited {done.returncode}: {done.stderr.strip()}")
    return parse_wrk(done.stdout)


@dataclass
class SteadyReads:
    """A :mod:`dev.benchmark.steady_reader` process; :meth:`result` waits for its numbers."""

    process: subprocess.Popen[bytes]
    out: Path

    def stop(self) -> None:
        """End it early; its numbers are not wanted."""
        self.process.kill()
        self.process.wait()

    def result(self, timeout: float) -> Load:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise LoadFailed("the steady reader did not finish in time") from None
        if self.process.returncode != 0:
            raise LoadFailed(f"the steady reader exited {self.process.returncode}")
        data = orjson.loads(self.out.read_bytes())
        return Load(data["rate"], data["p50_ms"], data["p99_ms"], data["errors"])


def steady_reads(urls: list[str], rate: float, seconds: float, out: Path) -> SteadyReads:
    """Start reading ``urls`` in turn at ``rate`` requests/s for ``seconds``."""
    command = [sys.executable, "-m", "dev.benchmark.steady_reader", "--rate", str(rate)]
    command += ["--seconds", str(seconds), "--out", str(out), *urls]
    return SteadyReads(subprocess.Popen(command, cwd=ROOT), out)
