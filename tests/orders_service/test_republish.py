"""Republishing: one snapshot per order in the outbox, each one OLF reads as the order stands."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Row, func, insert, select
from sqlalchemy.exc import IntegrityError

from infrastructure import command_line
from infrastructure.database import Database
from infrastructure.migrations import schema_migrations
from infrastructure.outbox import Acknowledged
from models.order_event import parse_order_event
from orders_service.cli import main
from orders_service.migrations import MIGRATIONS, current_version, migrate
from orders_service.order import CANCELLED, NewOrder, Order
from orders_service.order_event import SNAPSHOT_EVENT, build_event
from orders_service.order_store import OrderStore
from orders_service.outbox import OUTBOX, outbox_row
from orders_service.republish import republish
from orders_service.schema import outbox
from tests.orders_service.test_order_event import check_contract


async def snapshot_rows(database: Database) -> list[Row[object]]:
    """The snapshots in the outbox, in the order the relay would send them."""
    async with database.read() as connection:
        query = select(outbox).where(outbox.c.type == SNAPSHOT_EVENT).order_by(outbox.c.id)
        return list((await connection.execute(query)).all())


async def place_orders(store: OrderStore, count: int) -> list[Order]:
    """``count`` orders of two customers, every third one cancelled."""
    placed = []
    for number in range(count):
        order = await store.place(NewOrder(f"cust-{number % 2 + 1}", Decimal(number + 1), "EUR"))
        if number % 3 == 2:
            order = await store.cancel(order.order_id)
        placed.append(order)
    return placed


async def test_every_order_gets_a_snapshot_of_its_current_version_and_status_by_its_customer(
    store: OrderStore,
) -> None:
    standing = await store.place(NewOrder("cust-1", Decimal("12.50"), "EUR"))
    cancelled = await store.place(NewOrder("cust-2", Decimal("0.0001"), "JPY"))
    cancelled = await store.cancel(cancelled.order_id)
    other = await store.place(NewOrder("cust-1", Decimal("100"), "USD"))
    progress: list[tuple[int, int]] = []
    before = datetime.now(UTC)

    written = await republish(
        store.database, batch_size=2, on_progress=lambda *p: progress.append(p)
    )

    assert written == 3
    assert progress == [(2, 3), (3, 3)]
    found = {}
    for row in await snapshot_rows(store.database):
        # The key the relay publishes it under: the outbox's key column.
        event = check_contract(row.customer_id.encode(), row.payload)
        parsed = parse_order_event(row.customer_id.encode(), row.payload)
        assert (row.order_id, row.version) == (event["order_id"], event["version"])
        # When it was taken, not when the order changed.
        assert before <= parsed.occurred_at <= datetime.now(UTC)
        # check_contract also holds OLF's reading of the amount to the text's.
        found[row.order_id] = (
            row.customer_id, event["version"], event["status"], parsed.cancelled,
            event["amount"], event["currency"],
        )  # fmt: skip
    assert found == {
        standing.order_id: ("cust-1", 1, "placed", False, "12.50", "EUR"),
        cancelled.order_id: ("cust-2", 2, "cancelled", True, "0.0001", "JPY"),
        other.order_id: ("cust-1", 1, "placed", False, "100", "USD"),
    }


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7])
async def test_batches_smaller_than_the_orders_take_each_order_once_in_id_order(
    store: OrderStore, batch_size: int
) -> None:
    orders = await place_orders(store, 7)
    progress: list[tuple[int, int]] = []

    written = await republish(store.database, batch_size, lambda *p: progress.append(p))

    assert written == 7
    batches = range(batch_size, 7 + batch_size, batch_size)
    assert progress == [(min(done, 7), 7) for done in batches]
    rows = await snapshot_rows(store.database)
    assert [row.order_id for row in rows] == sorted(order.order_id for order in orders)
    current = {order.order_id: order.version for order in orders}
    assert {row.order_id: row.version for row in rows} == current


async def test_republishing_twice_restates_versions_but_a_change_still_cannot_repeat_one(
    store: OrderStore,
) -> None:
    orders = await place_orders(store, 3)

    assert await republish(store.database) == 3
    assert await republish(store.database) == 3

    rows = await snapshot_rows(store.database)
    assert Counter((row.order_id, row.version) for row in rows) == {
        (order.order_id, order.version): 2 for order in orders
    }
    assert len({row.event_id for row in rows}) == 6
    cancelled = next(order for order in orders if order.status == CANCELLED)
    with pytest.raises(IntegrityError):
        async with store.database.write() as connection:
            await connection.execute(insert(outbox).values(**outbox_row(build_event(cancelled))))


async def test_the_relay_sends_a_snapshot_after_the_changes_pending_before_it(
    store: OrderStore,
) -> None:
    placed = await store.place(NewOrder("cust-1", Decimal("5"), "EUR"))
    await republish(store.database)
    await store.cancel(placed.order_id)

    sent = []
    while entries := await OUTBOX.next_batch(store.database, 10):
        for entry in entries:
            event = parse_order_event(entry.key, entry.payload)
            sent.append((entry.key, event.type, event.version, event.cancelled))
        acknowledged = [Acknowledged(entry.id, 0, offset) for offset, entry in enumerate(entries)]
        await OUTBOX.mark_sent(store.database, acknowledged)

    # OLF applies the placement, takes the snapshot of it as a duplicate, then the cancellation.
    assert sent == [
        (b"cust-1", "order.placed", 1, False),
        (b"cust-1", "order.snapshot", 1, False),
        (b"cust-1", "order.cancelled", 2, True),
    ]


async def test_a_batch_size_below_one_is_refused(store: OrderStore) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        await republish(store.database, batch_size=0)


async def _database_at(url: str, steps: int, orders: int = 0) -> None:
    """A database with the first ``steps`` migrations applied and ``orders`` orders placed."""
    database = Database(url)
    try:
        if steps == len(MIGRATIONS):
            await migrate(database)
            await place_orders(OrderStore(database), orders)
        elif steps:
            async with database.write() as connection:
                await connection.run_sync(schema_migrations.metadata.create_all)
                for migration in MIGRATIONS[:steps]:
                    await connection.run_sync(migration.apply)
                    await connection.execute(
                        insert(schema_migrations).values(
                            version=migration.version,
                            name=migration.name,
                            applied_at=datetime.now(UTC),
                        )
                    )
    finally:
        await database.close()


async def _outbox_rows(url: str) -> tuple[int, int]:
    """The database's schema version and how many rows its outbox holds (-1: no outbox)."""
    database = Database(url)
    try:
        version = await current_version(database)
        if version == 0:
            return version, -1
        async with database.read() as connection:
            count = await connection.scalar(select(func.count()).select_from(outbox))
        return version, int(count or 0)
    finally:
        await database.close()


@pytest.mark.parametrize("steps", [0, 1])
def test_the_command_refuses_a_database_whose_schema_is_not_current(
    database_url: str,
    steps: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_database_at(database_url, steps))
    monkeypatch.setenv("ORDERS_SERVICE_DATABASE_URL", database_url)

    assert main(["republish"]) == 2

    out, err = capsys.readouterr()
    assert f"republish: the database is at schema version {steps}, not 2: is" in err
    assert "ORDERS_SERVICE_DATABASE_URL right?" in err
    assert "snapshot" not in out
    assert asyncio.run(_outbox_rows(database_url)) == (steps, -1 if steps == 0 else 0)


@pytest.mark.parametrize(
    ("interval", "progress"),
    [
        (3600.0, ["republish: 5/5 orders (100%"]),
        (0.0, [f"republish: {done}/5 orders ({done * 100 // 5}%" for done in (2, 4, 5)]),
    ],
)
def test_the_command_prints_progress_every_interval_and_at_the_end(
    database_url: str,
    interval: float,
    progress: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_database_at(database_url, len(MIGRATIONS), orders=5))
    monkeypatch.setenv("ORDERS_SERVICE_DATABASE_URL", database_url)
    monkeypatch.setattr(command_line, "PROGRESS_INTERVAL", interval)

    assert main(["republish", "--batch-size", "2"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "republish: writing snapshots of every order to the outbox"
    assert [line.split(",")[0] for line in lines[1:-1]] == progress
    assert lines[-1].startswith("republish: 5 snapshot events in the outbox")
    assert asyncio.run(_outbox_rows(database_url)) == (len(MIGRATIONS), 5 + 1 + 5)


def test_the_command_refuses_a_batch_size_below_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERS_SERVICE_DATABASE_URL", database_url)

    assert main(["republish", "--batch-size", "0"]) == 2
    assert "--batch-size must be >= 1" in capsys.readouterr().err
