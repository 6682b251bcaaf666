"""Running one reader in a process of its own and collecting what it reports.

A reader (``raw_consumer``, ``bare_faust``, ``quix_statistics``) is a module run
as ``python -m dev.benchmark.<reader> --bootstrap ... --result FILE``; it reads
``--events`` messages of ``--topic`` from the beginning with consumer group
``--group``, then writes a :class:`ReaderOutput` as JSON to ``FILE`` and exits.
Its own process keeps its memory its own: its peak RSS is its alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from dev.benchmark.broker import ROOT
from dev.benchmark.progress import say

#: Seconds between the lines saying a reader still runs.
PROGRESS_EVERY = 30.0


@dataclass(frozen=True)
class ReaderOutput:
    """What a reader measured: seconds from its first message to its last, and its answers."""

    seconds: float
    messages: int
    peak_mb: float
    #: Reader-specific; the stateful readers' answers are checked against the reference model.
    answers: dict[str, Any]


class ReaderFailed(RuntimeError):
    """The reader exited with an error, or did not finish in time."""


def reader_arguments(description: str) -> argparse.ArgumentParser:
    """The command line every reader takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True, help="consumer group (or app id): a fresh one")
    parser.add_argument("--events", type=int, required=True, help="messages on the topic")
    parser.add_argument("--result", type=Path, required=True, help="where to write the JSON")
    parser.add_argument("--state-dir", type=Path, help="for readers that keep local state")
    return parser


def write_output(path: Path, output: ReaderOutput) -> None:
    path.write_bytes(orjson.dumps(asdict(output)))


def run_reader(
    module: str, arguments: list[str], result: Path, log: Path, timeout: float
) -> ReaderOutput:
    """Run ``python -m dev.benchmark.<module> ARGUMENTS --result RESULT``; return its output.

    Says every :data:`PROGRESS_EVERY` seconds that it still runs.

    Raises:
        ReaderFailed: it exited non-zero, wrote no result, or ran past ``timeout`` seconds.
    """
    command = [sys.executable, "-m", f"dev.benchmark.{module}", *arguments, "--result", str(result)]
    started = time.monotonic()
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            while process.poll() is None:
                elapsed = time.monotonic() - started
                if elapsed > timeout:
                    raise ReaderFailed(f"{module} did not finish in {timeout:.0f} s; see {log}")
                try:
                    process.wait(min(PROGRESS_EVERY, timeout - elapsed))
                except subprocess.TimeoutExpired:
                    say(f"  {module} still running after {time.monotonic() - started:.0f} s")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if process.returncode != 0 or not result.exists():
        raise ReaderFailed(f"{module} exited with {process.returncode}; see {log}")
    fields = orjson.loads(result.read_bytes())
    return ReaderOutput(**fields)
