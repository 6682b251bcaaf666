"""Publish a plausible stream of customer events to Kafka, for ``make run``.

A stand-in for the Customer service: it creates, updates and deletes customers
and publishes each change per the ``customer-events`` contract (key = customer
id, full state on every change, version +1 per change).

    python dev/generate_events.py --rate 20 --count 0   # 0: until Ctrl-C
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

COUNTRIES = {"NL": 30, "DE": 25, "BE": 10, "FR": 15, "GB": 10, "ES": 5, "US": 5}
SEGMENTS = {"consumer": 70, "smb": 25, "enterprise": 5}
STATUSES = {"active": 85, "inactive": 10, "suspended": 5}


@dataclass
class CustomerBook:
    """The generator's own view of which customers exist, and their versions."""

    rng: random.Random
    versions: dict[str, int] = field(default_factory=dict)
    live: dict[str, dict[str, str]] = field(default_factory=dict)

    def next_event(self) -> tuple[bytes, bytes]:
        """The next change, as key and value bytes: mostly signups, some updates and deletes."""
        roll = self.rng.random()
        if not self.live or roll < 0.5:
            customer_id = f"cust-{uuid.uuid4().hex[:12]}"
            return self._publish(customer_id, "customer.created", self._random_profile())
        customer_id = self.rng.choice(list(self.live))
        if roll < 0.9:
            profile = dict(self.live[customer_id])
            attribute = self.rng.choice(["country", "segment", "status"])
            profile[attribute] = _weighted(self.rng, _CHOICES[attribute])
            return self._publish(customer_id, "customer.updated", profile, [attribute])
        return self._publish(customer_id, "customer.deleted", None)

    def _random_profile(self) -> dict[str, str]:
        return {name: _weighted(self.rng, weights) for name, weights in _CHOICES.items()}

    def _publish(
        self,
        customer_id: str,
        event_type: str,
        profile: dict[str, str] | None,
        changed: list[str] | None = None,
    ) -> tuple[bytes, bytes]:
        version = self.versions.get(customer_id, 0) + 1
        self.versions[customer_id] = version
        document: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "type": event_type,
            "customer_id": customer_id,
            "version": version,
            "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        if profile is None:
            self.live.pop(customer_id, None)
        else:
            self.live[customer_id] = profile
            document["customer"] = {
                "name": f"Customer {customer_id[-4:]}",
                "email": f"{customer_id}@example.com",
                **profile,
            }
        if changed:
            document["changed"] = changed
        return customer_id.encode(), orjson.dumps(document)


_CHOICES = {"country": COUNTRIES, "segment": SEGMENTS, "status": STATUSES}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


async def generate(bootstrap: str, topic: str, rate: float, count: int, seed: int | None) -> None:
    """Publish ``count`` events (0: forever) at about ``rate`` per second."""
    book = CustomerBook(random.Random(seed))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    sent = 0
    try:
        while count == 0 or sent < count:
            key, value = book.next_event()
            await producer.send_and_wait(topic, value=value, key=key)
            sent += 1
            if sent % 100 == 0:
                print(f"generator: {sent} events sent, {len(book.live)} live customers", flush=True)
            await asyncio.sleep(1.0 / rate)
    finally:
        await producer.stop()
        print(f"generator: stopped after {sent} events", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("OLF_BROKER_URL", "kafka://127.0.0.1:9092").removeprefix("kafka://"),
        help="Kafka bootstrap host:port (default from OLF_BROKER_URL)",
    )
    parser.add_argument(
        "--topic", default=os.environ.get("OLF_CUSTOMER_EVENTS_TOPIC", "customer-events")
    )
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    parser.add_argument("--count", type=int, default=0, help="events to send; 0 = until Ctrl-C")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be > 0")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(generate(args.bootstrap, args.topic, args.rate, args.count, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
