"""Reader: a bare Faust agent that parses and counts each message: Faust's per-message path.

The same work as ``raw_consumer`` (orjson, counts by country in a plain dict),
but through faust-streaming's consumer, stream and acknowledgement machinery,
one message at a time: what a Faust application pays before it keeps state.
No tables, no changelog, no web server. OLF does not take this path: it
delivers whole fetches to its agent (``app/workarounds/batch_delivery.py``),
so this is not a ceiling for OLF. Its answer (how many messages it read) is
checked, not its counts.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import faust
import orjson
from faust.types import StreamT

from dev.benchmark.memory import peak_rss_mb
from dev.benchmark.reader_process import ReaderOutput, reader_arguments, write_output


@dataclass
class Tally:
    """What the agent counted, and when it saw its first message."""

    expected: int
    result: Path
    seen: int = 0
    first: float = 0.0
    by_country: dict[str, int] = field(default_factory=dict)

    def count(self, value: bytes) -> None:
        if not self.first:
            self.first = time.monotonic()
        self.seen += 1
        try:
            country = orjson.loads(value)["customer"]["country"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        self.by_country[country] = self.by_country.get(country, 0) + 1

    def finish(self) -> None:
        """Report, then stop the worker the way ``kill`` would: it shuts down cleanly."""
        seconds = time.monotonic() - self.first
        write_output(
            self.result, ReaderOutput(seconds, self.seen, peak_rss_mb(), {"messages": self.seen})
        )
        os.kill(os.getpid(), signal.SIGTERM)


def build_app(
    group: str, bootstrap: str, topic_name: str, state_dir: Path, tally: Tally
) -> faust.App:
    """A Faust app with one agent over ``topic_name``'s raw bytes, from the earliest offset."""
    app = faust.App(
        group,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=str(state_dir),
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
    )
    # Raw bytes, as the Customer service publishes them: no Faust envelope.
    topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")

    @app.agent(topic)
    async def count_countries(stream: StreamT[bytes]) -> None:
        async for value in stream:
            tally.count(value)
            if tally.seen == tally.expected:
                tally.finish()

    return app


def main() -> None:  # the worker exits the process itself
    args = reader_arguments("bare Faust agent: parse and count").parse_args()
    tally = Tally(args.events, args.result)
    app = build_app(args.group, args.bootstrap, args.topic, args.state_dir, tally)
    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
