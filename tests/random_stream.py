"""Seeded random streams of customer (and order) events with their ground truth, for big tests.

Unlike the hypothesis strategies, these look like a real system's traffic:
versions mostly in order per customer, plus producer retries, replays of old
versions, gaps, deletes and re-creates, a sprinkle of malformed messages, and
snapshots of a customer's current state, as a republish writes them (applied
where the customer's latest event was malformed, duplicates otherwise).
With ``orders``, that share of the messages are order events: orders placed
by any customer (some before it exists), some of them cancelled later.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from tests.messages import (
    CORRUPTIONS,
    COUNTRIES,
    SEGMENTS,
    STATUSES,
    valid_message,
)
from tests.order_messages import ORDER_CORRUPTIONS, order_message
from tests.reference_model import ORDER_EVENTS, SNAPSHOT, Facts, OrderFacts, Sent

START = datetime(2026, 11, 24, tzinfo=UTC).timestamp()


def random_stream(
    seed: int,
    count: int,
    customers: int,
    partitions: int,
    malformed: float = 0.02,
    snapshots: float = 0.02,
    orders: float = 0.0,
) -> list[Sent]:
    """``count`` messages about ``customers`` customers over about three days."""
    rng = random.Random(seed)
    placed: list[OrderFacts] = []
    versions: dict[str, int] = {}
    alive: set[str] = set()
    #: The owner's current state of each customer: what a snapshot restates.
    current: dict[str, Facts] = {}
    sent: list[Sent] = []
    for index in range(count):
        moment = START + index * (3 * 86400 / count) + rng.uniform(-600, 600)
        roll = rng.random()
        if rng.random() < orders:
            order = _next_order(rng, placed, customers, moment)
            if roll < malformed:
                key, value = ORDER_CORRUPTIONS[rng.choice(sorted(ORDER_CORRUPTIONS))](order)
                sent.append(Sent(0, key, value, None, ORDER_EVENTS))
            else:
                sent.append(order_message(order, partitions))
        elif roll < malformed:
            facts = _next_facts(rng, versions, alive, customers, moment)
            current[facts.customer_id] = facts  # a change whose event was lost
            corrupt = CORRUPTIONS[rng.choice(sorted(CORRUPTIONS))]
            key, value = corrupt(facts)
            sent.append(Sent(0, key, value, None))  # partition: set by the producer
        elif roll < malformed + 0.05 and sent:
            sent.append(rng.choice(sent))  # a retry or re-publish of an earlier message
        elif roll < malformed + 0.05 + snapshots and current:
            restated = current[rng.choice(sorted(current))]
            sent.append(
                valid_message(replace(restated, type=SNAPSHOT, occurred_at=moment), partitions)
            )
        else:
            facts = _next_facts(rng, versions, alive, customers, moment)
            current[facts.customer_id] = facts
            sent.append(valid_message(facts, partitions))
    return sent


def _next_facts(
    rng: random.Random, versions: dict[str, int], alive: set[str], customers: int, moment: float
) -> Facts:
    customer_id = f"cust-{rng.randrange(customers):05d}"
    version = versions.get(customer_id, 0) + (2 if rng.random() < 0.03 else 1)  # some gaps
    versions[customer_id] = version
    profile = (rng.choice(COUNTRIES), rng.choice(SEGMENTS), rng.choice(STATUSES))
    if customer_id not in alive:
        alive.add(customer_id)
        return Facts(customer_id, "customer.created", version, moment, profile)
    if rng.random() < 0.15:
        alive.discard(customer_id)
        return Facts(customer_id, "customer.deleted", version, moment, None)
    return Facts(customer_id, "customer.updated", version, moment, profile)


def _next_order(
    rng: random.Random, placed: list[OrderFacts], customers: int, moment: float
) -> OrderFacts:
    """A new order of any customer, or (one time in four) the cancellation of a placed one."""
    if placed and rng.random() < 0.25:
        order = placed.pop(rng.randrange(len(placed)))
        return replace(order, type="order.cancelled", version=2, occurred_at=moment)
    order = OrderFacts(
        customer_id=f"cust-{rng.randrange(customers):05d}",
        order_id=f"order-{rng.getrandbits(48):012x}",
        type="order.placed",
        version=1,
        occurred_at=moment,
        amount=Decimal(rng.randrange(1, 500_000)).scaleb(-2),
        currency=rng.choice(("EUR", "EUR", "USD", "GBP")),
    )
    placed.append(order)
    return order


def with_poison_pills(stream: list[Sent], count: int, seed: int) -> list[Sent]:
    """``stream`` with ``count`` malformed messages mixed in at random places."""
    rng = random.Random(seed)
    mixed = list(stream)
    kinds = sorted(CORRUPTIONS)
    for index in range(count):
        facts = Facts(f"pill-{index}", "customer.created", 1, START, ("NL", "smb", "active"))
        key, value = CORRUPTIONS[kinds[index % len(kinds)]](facts)
        mixed.insert(rng.randrange(len(mixed) + 1), Sent(0, key, value, None))
    return mixed
