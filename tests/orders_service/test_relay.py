"""The Orders service's relay: an order's cancellation never overtakes its placement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from infrastructure.outbox import Acknowledged, OutboxEntry
from infrastructure.outbox_relay import OutboxRelay, RelayError
from orders_service.order import NewOrder
from orders_service.order_store import OrderStore
from orders_service.outbox import OUTBOX
from orders_service.settings import Settings


class FailFirstPublisher:
    """Fails the first ``failures`` entries it sees, acknowledges the rest; records what it got."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.acknowledged: list[tuple[str, int]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, entries: Sequence[OutboxEntry]) -> list[Acknowledged | Exception]:
        results: list[Acknowledged | Exception] = []
        for entry in entries:
            if self.failures:
                self.failures -= 1
                results.append(TimeoutError("no acknowledgement"))
            else:
                results.append(Acknowledged(entry.id, 0, len(self.acknowledged)))
                self.acknowledged.append((entry.key_text, entry.version))
        return results


async def test_a_failed_placement_is_sent_again_before_the_cancellation(
    store: OrderStore, settings: Settings
) -> None:
    order = await store.place(NewOrder("cust-1", Decimal("5"), "EUR"))
    await store.cancel(order.order_id)
    publisher = FailFirstPublisher(failures=1)
    relay = OutboxRelay(store.database, OUTBOX, replace(settings, relay_enabled=True))

    rounds = 0
    while (await OUTBOX.status(store.database)).pending and rounds < 10:
        rounds += 1
        try:
            await relay.publish_round(publisher)
        except RelayError:
            continue

    assert publisher.acknowledged == [("cust-1", 1), ("cust-1", 2)]
    assert (await OUTBOX.status(store.database)).pending == 0
