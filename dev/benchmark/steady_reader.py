"""GETs at a fixed rate, timed from when each was due: ``python -m dev.benchmark.steady_reader``.

Request *i* is due at ``start + i / rate`` and goes to the *i*-th URL in turn;
its latency runs from when it was due to when its whole answer arrived, so a
server that stalls is charged for every request that waited (no coordinated
omission). Writes ``{"rate", "p50_ms", "p99_ms", "errors", "requests"}`` to ``--out``.

A minimal HTTP/1.1 client over kept-alive connections (asyncio protocols, one
request per connection at a time): aiohttp's client took 57% of a core for
1,000 requests/s, which on a 2-core machine would have been taken from the
workers it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import orjson

#: Seconds an answer may take before it counts as an error.
TIMEOUT = 10.0


class Connection(asyncio.Protocol):
    """One kept-alive connection; :meth:`get` sends a request and waits for its whole answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("connection lost"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.answer is None:
            return
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        length = next(
            (
                int(line.split(":", 1)[1])
                for line in head
                if line.lower().startswith("content-length:")
            ),
            0,
        )
        if len(self.buffer) >= end + 4 + length:
            del self.buffer[: end + 4 + length]
            self.answer.set_result(int(head[0].split()[1]))

    async def get(self, host: str, target: str) -> int:
        """The status of ``GET target``."""
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        return await asyncio.wait_for(self.answer, TIMEOUT)


async def read_steadily(urls: list[str], rate: float, seconds: float) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    idle: dict[tuple[str, int], list[Connection]] = defaultdict(list)
    latencies: list[float] = []
    errors = 0

    async def get(url: str, due: float) -> None:
        nonlocal errors
        parts = urlsplit(url)
        address = (parts.hostname or "127.0.0.1", parts.port or 80)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        pool = idle[address]
        try:
            connection = (
                pool.pop() if pool else (await loop.create_connection(Connection, *address))[1]
            )
            status = await connection.get(parts.netloc, target)
            if status >= 400:
                errors += 1
            if not connection.closed:
                pool.append(connection)
        except (OSError, TimeoutError):
            errors += 1
        latencies.append(time.monotonic() - due)

    start = time.monotonic() + 0.1
    total = int(rate * seconds)
    tasks = []
    for index in range(total):
        due = start + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(get(urls[index % len(urls)], due)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    latencies.sort()
    return {
        "rate": total / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
        "requests": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    result = asyncio.run(read_steadily(args.urls, args.rate, args.seconds))
    args.out.write_bytes(orjson.dumps(result))


if __name__ == "__main__":
    main()
