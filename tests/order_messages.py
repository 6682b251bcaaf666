"""Hypothesis strategies for ``order-events`` messages, valid and malformed, and
streams that interleave them with ``customer-events`` messages.

Each message carries its ground truth (:class:`tests.reference_model.Sent`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import strategies as st

from tests.messages import BASE_TIME, message_streams, partition_of
from tests.reference_model import ORDER_EVENTS, ORDER_SNAPSHOT, OrderFacts, Sent

CURRENCIES = ("EUR", "USD", "JPY")
SNAPSHOT_STATUSES = ("placed", "cancelled")
#: Amounts with two and four fraction digits, and whole ones.
AMOUNTS = tuple(Decimal(text) for text in ("12.50", "0.0001", "99.9999", "1", "250000.00"))


def order_document(facts: OrderFacts, event_id: str = "e") -> dict[str, Any]:
    """The JSON document of a valid order event with ``facts``."""
    document = {
        "event_id": event_id,
        "type": facts.type,
        "order_id": facts.order_id,
        "customer_id": facts.customer_id,
        "version": facts.version,
        "occurred_at": datetime.fromtimestamp(facts.occurred_at, tz=UTC).isoformat(),
        "amount": f"{facts.amount:f}",
        "currency": facts.currency,
    }
    if facts.status is not None:
        document["status"] = facts.status
    return document


def order_message(facts: OrderFacts, partitions: int) -> Sent:
    key = facts.customer_id.encode()
    value = orjson.dumps(order_document(facts))
    return Sent(partition_of(key, partitions), key, value, facts, ORDER_EVENTS)


@st.composite
def order_facts(draw: st.DrawFn, customer_ids: int = 6, days: int = 40) -> OrderFacts:
    """Orders of the customers of :func:`tests.messages.facts` (``c0``...), a few ids each."""
    seconds = round(draw(st.floats(0, days * 86400, allow_nan=False)), 3)
    event_type = draw(st.sampled_from(("order.placed", "order.cancelled", ORDER_SNAPSHOT)))
    return OrderFacts(
        customer_id=f"c{draw(st.integers(0, customer_ids - 1))}",
        order_id=f"o{draw(st.integers(0, 3))}",
        type=event_type,
        version=draw(st.integers(1, 3)),
        occurred_at=(BASE_TIME + timedelta(seconds=seconds)).timestamp(),
        amount=draw(st.sampled_from(AMOUNTS)),
        # Mostly one currency per order, sometimes a later version changes it.
        currency=draw(st.sampled_from(CURRENCIES)),
        status=draw(st.sampled_from(SNAPSHOT_STATUSES)) if event_type == ORDER_SNAPSHOT else None,
    )


def _with(facts: OrderFacts, **changes: Any) -> tuple[bytes | None, bytes]:
    body = order_document(facts)
    body.update(changes)
    return facts.customer_id.encode(), orjson.dumps(body)


#: Ways to break the order contract: each takes valid facts and returns key and value.
ORDER_CORRUPTIONS: dict[str, Callable[[OrderFacts], tuple[bytes | None, bytes]]] = {
    "not JSON": lambda f: (f.customer_id.encode(), b"{not json"),
    "amount as a JSON number": lambda f: _with(f, amount=12.5),
    "amount with five fraction digits": lambda f: _with(f, amount="1.00001"),
    "amount zero": lambda f: _with(f, amount="0.00"),
    "negative amount": lambda f: _with(f, amount="-5.00"),
    "unknown currency": lambda f: _with(f, currency="XXY"),
    "lower-case currency": lambda f: _with(f, currency="eur"),
    "unknown type": lambda f: _with(f, type="order.shipped"),
    "no order_id": lambda f: _with(f, order_id=""),
    "snapshot without status": lambda f: _with(f, type=ORDER_SNAPSHOT, status=None),
    "status on a change": lambda f: _with(f, type="order.placed", status="placed"),
    "key differs": lambda f: (b"someone-else", orjson.dumps(order_document(f))),
}


@st.composite
def malformed_order(draw: st.DrawFn, partitions: int) -> Sent:
    facts = draw(order_facts())
    key, value = ORDER_CORRUPTIONS[draw(st.sampled_from(sorted(ORDER_CORRUPTIONS)))](facts)
    return Sent(partition_of(key or b"", partitions), key, value, None, ORDER_EVENTS)


@st.composite
def order_streams(draw: st.DrawFn, partitions: int, max_size: int = 40) -> list[Sent]:
    """Order events (duplicates, gaps, cancellations first), bad ones, and replays."""
    valid = order_facts().map(lambda facts: order_message(facts, partitions))
    stream = draw(
        st.lists(st.one_of(valid, valid, valid, malformed_order(partitions)), max_size=max_size)
    )
    for _ in range(draw(st.integers(0, 3)) if stream else 0):
        stream.insert(
            draw(st.integers(0, len(stream))), stream[draw(st.integers(0, len(stream) - 1))]
        )
    return stream


@st.composite
def interleavings(draw: st.DrawFn, first: list[Sent], second: list[Sent]) -> list[Sent]:
    """Any merge of two streams that keeps each stream's own order."""
    merged: list[Sent] = []
    i = j = 0
    while i < len(first) or j < len(second):
        if j == len(second) or (i < len(first) and draw(st.booleans())):
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged


@st.composite
def two_topic_streams(draw: st.DrawFn, partitions: int) -> tuple[list[Sent], list[Sent]]:
    """One customer stream and one order stream, in two different interleavings."""
    customers = draw(message_streams(partitions, max_size=40))
    orders = draw(order_streams(partitions))
    return draw(interleavings(customers, orders)), draw(interleavings(customers, orders))
