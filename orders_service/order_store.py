"""Orders in the service's database, each change written together with its event.

Placing an order inserts its row (version 1) and its ``order.placed`` event
in one transaction; cancelling updates the row to ``cancelled`` (version 2)
and appends ``order.cancelled`` in one transaction. Both happen or neither
does, so the outbox holds exactly one change event per order and version
(``orders_service.republish`` adds snapshots, which restate one). The relay
(``infrastructure.outbox_relay``) publishes them later.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from infrastructure.database import Database
from orders_service.order import CANCELLED, PLACED, NewOrder, Order, amount_text
from orders_service.order_event import build_event
from orders_service.outbox import outbox_row
from orders_service.schema import orders, outbox


class OrderNotFound(LookupError):
    """No order with that id."""


class AlreadyCancelled(RuntimeError):
    """The order is cancelled already; ``args[0]`` is the order as it is."""


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """Of one currency: every order ever placed, and the sum of those not cancelled."""

    placed: int
    revenue: Decimal


class OrderStore:
    """Reads and changes orders; ``on_change`` runs after each committed change."""

    def __init__(self, database: Database, on_change: Callable[[], None] | None = None) -> None:
        self.database = database
        self._on_change = on_change or (lambda: None)

    async def place(self, new: NewOrder) -> Order:
        """Place ``new`` (validated; its customer checked by the caller): version 1, a new id."""
        now = datetime.now(UTC)
        order = Order(
            order_id=f"ord-{uuid.uuid4().hex}",
            customer_id=new.customer_id,
            amount=new.amount,
            currency=new.currency,
            status=PLACED,
            version=1,
            placed_at=now,
            updated_at=now,
        )
        async with self.database.write() as connection:
            await connection.execute(insert(orders).values(**_row_values(order)))
            await _append_event(connection, order)
        self._on_change()
        return order

    async def get(self, order_id: str) -> Order:
        """The order ``order_id``, placed or cancelled.

        Raises:
            OrderNotFound: unknown.
        """
        async with self.database.read() as connection:
            row = (
                await connection.execute(select(orders).where(orders.c.order_id == order_id))
            ).first()
        if row is None:
            raise OrderNotFound(order_id)
        return order_from_row(row)

    async def cancel(self, order_id: str) -> Order:
        """Cancel a placed order: version 2 and its ``order.cancelled`` event.

        Raises:
            OrderNotFound: unknown.
            AlreadyCancelled: cancelled before; nothing is written.
        """
        async with self.database.write() as connection:
            row = (
                await connection.execute(
                    select(orders).where(orders.c.order_id == order_id).with_for_update()
                )
            ).first()
            if row is None:
                raise OrderNotFound(order_id)
            current = order_from_row(row)
            if current.status == CANCELLED:
                raise AlreadyCancelled(current)
            order = replace(
                current, status=CANCELLED, version=current.version + 1, updated_at=datetime.now(UTC)
            )
            await connection.execute(
                update(orders)
                .where(orders.c.order_id == order_id)
                .values(status=order.status, version=order.version, updated_at=order.updated_at)
            )
            await _append_event(connection, order)
        self._on_change()
        return order

    async def totals(self) -> dict[str, CurrencyTotals]:
        """Per currency, from one consistent snapshot: orders ever placed, and revenue.

        Revenue sums the amounts of the orders not cancelled, as ``Decimal``
        in Python: exact whatever the database.
        """
        async with self.database.read() as connection:
            rows = await connection.execute(
                select(orders.c.currency, orders.c.amount, orders.c.status)
            )
            placed: dict[str, int] = {}
            revenue: dict[str, Decimal] = {}
            for currency, amount, status in rows:
                placed[currency] = placed.get(currency, 0) + 1
                kept = Decimal(amount) if status != CANCELLED else Decimal(0)
                revenue[currency] = revenue.get(currency, Decimal(0)) + kept
        return {
            currency: CurrencyTotals(placed[currency], revenue[currency])
            for currency in sorted(placed)
        }


async def _append_event(connection: AsyncConnection, order: Order) -> None:
    event = build_event(order)
    await connection.execute(insert(outbox).values(**outbox_row(event)))


def _row_values(order: Order) -> dict[str, object]:
    values = {column.name: getattr(order, column.name) for column in orders.columns}
    values["amount"] = amount_text(order.amount)
    return values


def order_from_row(row: Row[object]) -> Order:
    """The order an ``orders`` row holds, its amount an exact ``Decimal`` again."""
    values = dict(row._mapping)
    values["amount"] = Decimal(values["amount"])
    return Order(**values)
