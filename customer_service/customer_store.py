"""Customers in the service's database, each change written together with its event.

Every change runs in one transaction that updates the customer's row, bumps
its version and inserts the event into the outbox: both happen or neither
does, so the outbox holds exactly one event per version. The relay
(``infrastructure.outbox_relay``) publishes them later.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import ColumnElement, Row, false, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from customer_service.customer import FIELDS, Customer
from customer_service.customer_event import CREATED, DELETED, UPDATED, build_event
from customer_service.outbox import outbox_row
from customer_service.pagination import encode_cursor
from customer_service.schema import customers, outbox
from infrastructure.database import Database

#: Name and e-mail of a deleted customer.
ERASED: Final = ""

#: The dimensions OLF counts customers by.
DIMENSIONS: Final = ("country", "segment", "status")


class CustomerNotFound(LookupError):
    """No customer with that id, or it was deleted."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list; ``next_cursor`` is None on the last page."""

    customers: list[Customer]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CustomerCounts:
    """Live (not deleted) customers: the total and the counts per dimension value."""

    total: int
    by: dict[str, dict[str, int]] = field(default_factory=dict)


class CustomerStore:
    """Reads and changes customers; ``on_change`` runs after each committed change."""

    def __init__(self, database: Database, on_change: Callable[[], None] | None = None) -> None:
        self.database = database
        self._on_change = on_change or (lambda: None)

    async def create(self, attributes: Mapping[str, str]) -> Customer:
        """Create a customer (version 1) from validated attributes; its id is new."""
        now = datetime.now(UTC)
        customer = Customer(
            customer_id=f"cust-{uuid.uuid4().hex}",
            name=attributes["name"],
            email=attributes["email"],
            country=attributes["country"],
            segment=attributes["segment"],
            status=attributes["status"],
            version=1,
            deleted=False,
            created_at=now,
            updated_at=now,
        )
        async with self.database.write() as connection:
            await connection.execute(insert(customers).values(**_row_values(customer)))
            await _append_event(connection, customer, CREATED)
        self._on_change()
        return customer

    async def get(self, customer_id: str) -> Customer:
        """The live customer ``customer_id``.

        Raises:
            CustomerNotFound: unknown or deleted.
        """
        async with self.database.read() as connection:
            row = (await connection.execute(select(customers).where(_live(customer_id)))).first()
        if row is None:
            raise CustomerNotFound(customer_id)
        return _customer(row)

    async def update(self, customer_id: str, changes: Mapping[str, str]) -> Customer:
        """Apply validated ``changes``; a change that changes nothing writes nothing.

        Raises:
            CustomerNotFound: unknown or deleted.
        """
        async with self.database.write() as connection:
            current = await _locked(connection, customer_id)
            changed = [
                name
                for name in FIELDS
                if name in changes and changes[name] != getattr(current, name)
            ]
            if not changed:
                return current
            customer = replace(
                current.with_attributes({name: changes[name] for name in changed}),
                version=current.version + 1,
                updated_at=datetime.now(UTC),
            )
            await _save(connection, customer)
            await _append_event(connection, customer, UPDATED, changed)
        self._on_change()
        return customer

    async def delete(self, customer_id: str) -> Customer:
        """Delete a customer: its row stays, marked deleted, with a new version.

        The row keeps what OLF counts by (country, segment, status) but not the
        person: name and e-mail are erased. Events sent before still carry them
        until the relay prunes them (``outbox_retention``).

        Raises:
            CustomerNotFound: unknown or already deleted.
        """
        async with self.database.write() as connection:
            current = await _locked(connection, customer_id)
            customer = replace(
                current,
                name=ERASED,
                email=ERASED,
                version=current.version + 1,
                deleted=True,
                updated_at=datetime.now(UTC),
            )
            await _save(connection, customer)
            await _append_event(connection, customer, DELETED)
        self._on_change()
        return customer

    async def list(self, filters: Mapping[str, str], limit: int, after: str | None = None) -> Page:
        """Live customers matching ``filters`` (exact values), by id, ``limit`` at most."""
        query = select(customers).where(customers.c.deleted == false())
        for name, value in filters.items():
            query = query.where(customers.c[name] == value)
        if after is not None:
            query = query.where(customers.c.customer_id > after)
        query = query.order_by(customers.c.customer_id).limit(limit + 1)
        async with self.database.read() as connection:
            rows = (await connection.execute(query)).all()
        page = [_customer(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(page, encode_cursor(page[-1].customer_id) if more else None)

    async def counts(self) -> CustomerCounts:
        """Live customers by country, segment and status, from one consistent snapshot."""
        live = customers.c.deleted == false()
        async with self.database.read() as connection:
            total = await connection.scalar(select(func.count()).where(live))
            by: dict[str, dict[str, int]] = {}
            for dimension in DIMENSIONS:
                column = customers.c[dimension]
                rows = await connection.execute(
                    select(column, func.count()).where(live).group_by(column)
                )
                by[dimension] = {str(value): int(count) for value, count in rows}
        return CustomerCounts(total=int(total or 0), by=by)


def _live(customer_id: str) -> ColumnElement[bool]:
    return (customers.c.customer_id == customer_id) & (customers.c.deleted == false())


async def _locked(connection: AsyncConnection, customer_id: str) -> Customer:
    """The live customer, locked until the transaction ends (a no-op on SQLite,
    whose write transactions already exclude each other)."""
    row = (
        await connection.execute(select(customers).where(_live(customer_id)).with_for_update())
    ).first()
    if row is None:
        raise CustomerNotFound(customer_id)
    return _customer(row)


async def _save(connection: AsyncConnection, customer: Customer) -> None:
    values = _row_values(customer)
    del values["customer_id"], values["created_at"]
    await connection.execute(
        update(customers).where(customers.c.customer_id == customer.customer_id).values(**values)
    )


async def _append_event(
    connection: AsyncConnection,
    customer: Customer,
    event_type: str,
    changed: list[str] | None = None,
) -> None:
    event = build_event(customer, event_type, changed)
    await connection.execute(insert(outbox).values(**outbox_row(event)))


def _row_values(customer: Customer) -> dict[str, object]:
    return {column.name: getattr(customer, column.name) for column in customers.columns}


def _customer(row: Row[object]) -> Customer:
    return Customer(**row._mapping)
