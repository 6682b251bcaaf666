"""A small, obviously right model of OLF's statistics, used as the test oracle.

It does not parse or validate: the test that builds a message says whether it
is valid and what it means (see :mod:`tests.messages`). It keeps everything
(no retention) and applies the retention rule only when asked for a series.
A ``customer.snapshot`` sets the state like any applied event but is no
event in time: no series point, and no say in the newest event time.

Orders: each order's latest applied version says whether it is cancelled,
its amount and currency; an order counts under its customer's *current*
country and segment (``unknown`` without one), computed from the final
states when asked. The order series record, at each applied order event's
time, what it changed of the totals; an ``order.snapshot`` sets the order's
state but, like a customer's, adds no series point and no newest event time.
Money is :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

MINUTES_KEPT = 24 * 60
HOURS_KEPT = 30 * 24
WINDOW_SECONDS = {"1m": 60, "1h": 3600}
WINDOWS_KEPT = {"1m": MINUTES_KEPT, "1h": HOURS_KEPT}
METRIC = {
    "customer.created": "signups",
    "customer.updated": "updates",
    "customer.deleted": "deletions",
}
SNAPSHOT = "customer.snapshot"
CUSTOMER_EVENTS = "customer-events"
ORDER_EVENTS = "order-events"
ORDER_SNAPSHOT = "order.snapshot"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Facts:
    """What a valid event says.

    ``profile`` is (country, segment, status); None for deletes and for
    snapshots of deleted customers.
    """

    customer_id: str
    type: str
    version: int
    occurred_at: float  # epoch seconds
    profile: tuple[str, str, str] | None


@dataclass(frozen=True)
class OrderFacts:
    """What a valid order event says; ``amount`` in the currency's unit."""

    customer_id: str
    order_id: str
    type: str  # order.placed, order.cancelled or order.snapshot
    version: int
    occurred_at: float  # epoch seconds
    amount: Decimal
    currency: str
    #: A snapshot's status: placed or cancelled; None for changes.
    status: str | None = None


@dataclass(frozen=True)
class Sent:
    """One message as produced: where it went, its bytes, and its facts if valid."""

    partition: int
    key: bytes | None
    value: bytes
    facts: Facts | OrderFacts | None
    #: CUSTOMER_EVENTS or ORDER_EVENTS (tests may give the topics other names).
    topic: str = CUSTOMER_EVENTS


@dataclass
class ReferenceModel:
    versions: dict[str, int] = field(default_factory=dict)
    profiles: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    dead_letters: list[tuple[int, int, bytes | None, bytes | None]] = field(default_factory=list)
    order_dead_letters: list[tuple[int, int, bytes | None, bytes | None]] = field(
        default_factory=list
    )
    events: Counter[tuple[str, int]] = field(default_factory=Counter)  # (metric, second)
    newest: float | None = None
    order_versions: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (customer, order) -> the latest applied facts
    orders: dict[tuple[str, str], OrderFacts] = field(default_factory=dict)
    #: Currencies of every applied order version, old ones included.
    order_currencies: set[str] = field(default_factory=set)
    order_applied: int = 0
    order_duplicates: int = 0
    order_rejected: int = 0
    #: (series, second) -> sum of what order events changed then; Decimal for revenue
    order_events: Counter[tuple[str, int]] = field(default_factory=Counter)

    @classmethod
    def of(cls, placed: Iterable[tuple[Sent, int]]) -> ReferenceModel:
        """The model after every message, in order, each with its offset."""
        model = cls()
        for sent, offset in placed:
            model.feed(sent, offset)
        return model

    def feed(self, sent: Sent, offset: int) -> None:
        facts = sent.facts
        if facts is None:
            letter = (sent.partition, offset, sent.key, sent.value)
            if sent.topic == ORDER_EVENTS:
                self.order_rejected += 1
                self.order_dead_letters.append(letter)
            else:
                self.rejected += 1
                self.dead_letters.append(letter)
            return
        if isinstance(facts, OrderFacts):
            self.feed_order(facts)
            return
        if facts.version <= self.versions.get(facts.customer_id, 0):
            self.duplicates += 1
            return
        self.applied += 1
        self.versions[facts.customer_id] = facts.version
        if facts.profile is None:
            self.profiles.pop(facts.customer_id, None)
        else:
            self.profiles[facts.customer_id] = facts.profile
        if facts.type == SNAPSHOT:
            return
        self.events[(METRIC[facts.type], int(facts.occurred_at))] += 1
        self.saw(facts.occurred_at)

    def feed_order(self, facts: OrderFacts) -> None:
        key = (facts.customer_id, facts.order_id)
        if facts.version <= self.order_versions.get(key, 0):
            self.order_duplicates += 1
            return
        self.order_applied += 1
        self.order_currencies.add(facts.currency)
        self.order_versions[key] = facts.version
        old = self.orders.get(key)
        self.orders[key] = facts
        if facts.type == ORDER_SNAPSHOT:
            return
        second = int(facts.occurred_at)
        change: Counter[str] = Counter()
        changed_revenue: dict[str, Decimal] = {}
        change[facts.currency] += 1
        changed_revenue[facts.currency] = revenue(facts)
        if old is not None:
            change[old.currency] -= 1
            changed_revenue[old.currency] = changed_revenue.get(old.currency, Decimal(0)) - revenue(
                old
            )
        for currency, placed in change.items():
            if placed:
                self.order_events[(f"orders.{currency}", second)] += placed
        for currency, amount in changed_revenue.items():
            if amount:
                self.order_events[(f"revenue.{currency}", second)] += amount  # type: ignore[assignment]
        self.saw(facts.occurred_at)

    def saw(self, moment: float) -> None:
        self.newest = moment if self.newest is None else max(self.newest, moment)

    @property
    def total(self) -> int:
        return len(self.profiles)

    def counts(self, by: str) -> dict[str, int]:
        index = ("country", "segment", "status").index(by)
        return dict(Counter(profile[index] for profile in self.profiles.values()))

    def order_counts(self, by: str) -> dict[str, dict[str, dict[str, object]]]:
        """``{bucket: {currency: {"placed": n, "revenue": "x.xx"}}}``, as the API answers."""
        index = ("country", "segment").index(by)
        placed: Counter[tuple[str, str]] = Counter()
        revenues: dict[tuple[str, str], Decimal] = {}
        for (customer_id, _), order in self.orders.items():
            profile = self.profiles.get(customer_id)
            key = (UNKNOWN if profile is None else profile[index], order.currency)
            placed[key] += 1
            revenues[key] = revenues.get(key, Decimal(0)) + revenue(order)
        answer: dict[str, dict[str, dict[str, object]]] = {}
        for bucket, currency in sorted(placed):
            answer.setdefault(bucket, {})[currency] = {
                "placed": placed[bucket, currency],
                "revenue": money(revenues[bucket, currency]),
            }
        return answer

    def order_totals(self) -> dict[str, dict[str, object]]:
        """``{currency: {"placed": n, "revenue": "x.xx"}}``."""
        placed: Counter[str] = Counter(order.currency for order in self.orders.values())
        revenues = {currency: Decimal(0) for currency in placed}
        for order in self.orders.values():
            revenues[order.currency] += revenue(order)
        return {
            currency: {"placed": placed[currency], "revenue": money(revenues[currency])}
            for currency in sorted(placed)
        }

    def currencies(self) -> list[str]:
        """Currencies with order series: those of every order version applied, snapshots too."""
        return sorted(self.order_currencies)

    def points(self, metric: str, window: str) -> list[dict[str, object]]:
        """``metric``: signups, updates, deletions, or orders.<currency>, revenue.<currency>."""
        if self.newest is None:
            return []
        size = WINDOW_SECONDS[window]
        first = (int(self.newest) // size - (WINDOWS_KEPT[window] - 1)) * size
        buckets: dict[int, int | Decimal] = {}
        events = self.order_events if "." in metric else self.events
        for (event_metric, second), count in events.items():
            start = second // size * size
            if event_metric == metric and start >= first:
                buckets[start] = buckets.get(start, 0) + count
        if metric.startswith("revenue."):
            return [
                {"start": iso(start), "amount": money(Decimal(buckets[start]))}
                for start in sorted(buckets)
            ]
        return [{"start": iso(start), "count": buckets[start]} for start in sorted(buckets)]

    def newest_event_time(self) -> str | None:
        return None if self.newest is None else iso(int(self.newest))


def iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def revenue(order: OrderFacts) -> Decimal:
    cancelled = order.type == "order.cancelled" or order.status == "cancelled"
    return Decimal(0) if cancelled else order.amount


def money(amount: Decimal) -> str:
    """As the API writes amounts: two fraction digits, or as many (up to four) as needed."""
    cents = amount.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == amount else f"{amount.normalize():f}"
