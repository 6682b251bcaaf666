"""The orders simulator against the real API in-process and a fake Customer service."""

from __future__ import annotations

import pytest

from orders_service.order_store import OrderStore
from orders_service.simulator import CUSTOMER_GONE, simulate
from tests.orders_service.conftest import TOKEN, Client, FakeCustomerService


async def test_a_simulation_places_and_cancels_orders_for_live_customers(
    client: Client,
    store: OrderStore,
    customer_service: tuple[FakeCustomerService, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    base_url = str(client.make_url("")).rstrip("/")

    tally = await simulate(base_url, TOKEN, customer_service[1], requests=200, rate=10_000, seed=3)

    assert sum(tally.failed.values()) == 0, tally.first_errors
    assert tally.done["place"] + tally.done["cancel"] == 200
    assert 10 <= tally.done["cancel"] <= 60
    totals = await store.totals()
    assert sum(currency.placed for currency in totals.values()) == tally.done["place"]
    assert set(customer_service[0].asked) <= {"cust-1", "cust-2"}
    assert "all       200       0" in capsys.readouterr().out


async def test_a_customer_deleted_meanwhile_is_forgotten_not_a_failure(
    client: Client, customer_service: tuple[FakeCustomerService, str]
) -> None:
    fake, url = customer_service
    fake.known = set()
    fake.deleted_since_listing = {"cust-gone"}
    base_url = str(client.make_url("")).rstrip("/")

    tally = await simulate(base_url, TOKEN, url, requests=3, rate=10_000, seed=1)

    # Forgotten after the first refusal; the next steps list again and find nobody.
    assert tally.done[CUSTOMER_GONE] >= 1
    assert not tally.failed, tally.first_errors
    assert "place" not in tally.done


async def test_failed_requests_are_counted_and_shown(
    client: Client, customer_service: tuple[FakeCustomerService, str]
) -> None:
    base_url = str(client.make_url("")).rstrip("/")

    tally = await simulate(base_url, "wrong-token", customer_service[1], 3, 10_000, seed=1)

    assert tally.failed["place"] == 3
    assert tally.first_errors[0].startswith("place: 403 ")
