"""The simulator against the real API in-process: realistic, repeatable, and summarized."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from customer_service.customer_store import CustomerStore
from customer_service.service import build_service
from customer_service.settings import Settings
from customer_service.simulator import simulate
from tests.customer_service.conftest import TOKEN, Client


async def test_a_simulation_grows_the_population_and_churns_it(
    client: Client, store: CustomerStore, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = str(client.make_url("")).rstrip("/")

    tally = await simulate(base_url, TOKEN, customers=40, changes=400, rate=10_000, seed=3)

    assert sum(tally.done.values()) == 400
    assert sum(tally.failed.values()) == 0, tally.first_errors
    assert {"sign up", "delete", "re-activate", "churn (inactive)", "edit profile"} <= set(
        tally.done
    )
    customers = (await (await client.get("/customers?limit=500")).json())["customers"]
    # The population hovers around its target: deletes are followed by sign-ups.
    assert 30 <= len(customers) <= 40
    assert tally.done["sign up"] - tally.done["delete"] == len(customers)
    counts = await store.counts()
    assert counts.by["status"] == dict(Counter(c["status"] for c in customers))
    output = capsys.readouterr().out
    assert "request" in output
    assert "all                400       0" in output
    assert f"{len(customers)} customers live" in output


async def test_the_same_seed_makes_the_same_traffic(settings: Settings, tmp_path: Path) -> None:
    tallies = []
    for run in ("first", "second"):
        fresh = replace(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / run}.db")
        async with TestClient(TestServer(build_service(fresh))) as client:
            base_url = str(client.make_url("")).rstrip("/")
            tallies.append(
                await simulate(base_url, TOKEN, customers=10, changes=60, rate=10_000, seed=11)
            )

    assert tallies[0].done == tallies[1].done


async def test_customers_that_exist_already_take_part(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = str(client.make_url("")).rstrip("/")
    await simulate(base_url, TOKEN, customers=20, changes=20, rate=10_000, seed=4)
    first_run = (await (await client.get("/customers?limit=500")).json())["customers"]

    tally = await simulate(base_url, TOKEN, customers=20, changes=100, rate=10_000, seed=5)

    assert f"{len(first_run)} customers exist already" in capsys.readouterr().out
    live = (await (await client.get("/customers?limit=500")).json())["customers"]
    assert len(live) <= 20, "the population should stay near its target, not grow by it"
    assert tally.done["sign up"] < 20


async def test_failed_requests_are_counted_and_shown(client: Client) -> None:
    base_url = str(client.make_url("")).rstrip("/")

    tally = await simulate(base_url, "wrong-token", customers=5, changes=5, rate=10_000, seed=1)

    assert tally.failed == Counter({"sign up": 5})
    assert tally.first_errors[0].startswith("sign up: 403 ")
