"""Reader: a plain aiokafka consumer that parses each message and counts: the ceiling.

It parses every value with orjson and counts events by ``customer.country`` in
a dict: no per-customer state, no changelog, no guarantee. Nothing any Python
consumer on this machine does can be faster, so it is the baseline the others
are compared with. Its answer (how many messages it read) is checked, not its counts.
"""

from __future__ import annotations

import asyncio
import sys
import time

import orjson
from aiokafka import AIOKafkaConsumer

from dev.benchmark.memory import peak_rss_mb
from dev.benchmark.reader_process import ReaderOutput, reader_arguments, write_output


async def read(bootstrap: str, topic: str, group: str, events: int) -> ReaderOutput:
    """Consume ``events`` messages of ``topic`` from the beginning; time first to last."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest"
    )
    await consumer.start()
    by_country: dict[str, int] = {}
    seen = 0
    first = 0.0
    try:
        while seen < events:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                if not first:
                    first = time.monotonic()
                for record in records:
                    seen += 1
                    try:
                        country = orjson.loads(record.value or b"")["customer"]["country"]
                    except (orjson.JSONDecodeError, KeyError, TypeError):
                        continue
                    by_country[country] = by_country.get(country, 0) + 1
        seconds = time.monotonic() - first
    finally:
        await consumer.stop()
    return ReaderOutput(seconds, seen, peak_rss_mb(), {"messages": seen})


def main() -> int:
    args = reader_arguments("raw aiokafka consumer: parse and count").parse_args()
    output = asyncio.run(read(args.bootstrap, args.topic, args.group, args.events))
    write_output(args.result, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
