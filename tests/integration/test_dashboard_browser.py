"""The dashboard in real headless Chromium: events produced to Kafka show up without a reload.

Needs Debian's ``chromium`` (``make install`` installs it). Playwright drives
it through ``executable_path``; Playwright's own browser downloads are never
used. The screenshots are saved in the test's tmp directory and their paths
reported; with ``OLF_UPDATE_SCREENSHOT=1`` they also replace ``docs/*.png``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Page, async_playwright

from tests.events import message
from tests.integration.broker import REPO_ROOT
from tests.integration.kafka_io import order_topic
from tests.integration.ready_workers import start_ready_workers
from tests.integration.worker import Worker
from tests.order_messages import order_document
from tests.reference_model import OrderFacts, money

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = REPO_ROOT / "docs"
PAGE_TIMEOUT_MS = 60_000
#: An hour of event time: 09:00 to 09:59 UTC.
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
COUNTRIES = ("NL", "DE", "FR", "BE", "GB", "ES", "US", "IT", "PL", "SE", "AT", "DK", "IE", "PT")
SEGMENTS = ("consumer", "smb", "enterprise")
STATUSES = ("active", "inactive", "suspended")


@dataclass(frozen=True)
class Expected:
    """What the dashboard must show once every message is processed."""

    customers: int
    applied: int
    duplicates: int
    rejected: int
    countries: int
    series_totals: dict[str, int]
    newest: datetime
    #: (country or unknown, currency) -> (orders placed, revenue)
    orders: dict[tuple[str, str], tuple[int, str]]


def an_hour_of_events() -> tuple[list[tuple[bytes, bytes]], Expected]:
    """A plausible hour of event time (busier towards its end), and what it must show."""
    rng = random.Random(26)
    messages: list[tuple[bytes, bytes]] = []
    state: dict[str, tuple[str, str, str]] = {}
    totals: Counter[str] = Counter()
    times: list[datetime] = []

    def after(moment: datetime) -> datetime:
        low = (moment - START).total_seconds()
        times.append(START + timedelta(seconds=int(rng.triangular(low, 3599, max(low, 3300)))))
        return times[-1]

    for index in range(150):
        customer = f"cust-{index}"
        country = rng.choices(COUNTRIES, weights=range(len(COUNTRIES), 0, -1))[0]
        segment = rng.choices(SEGMENTS, weights=(6, 3, 1))[0]
        status = rng.choices(STATUSES, weights=(8, 1, 1))[0]
        created = after(START)
        profile = {"country": country, "segment": segment, "status": status}
        messages.append(message(customer, 1, occurred_at=created, **profile))
        state[customer] = (country, segment, status)
        totals["signups"] += 1
        version = 1
        if index % 3 == 0:
            version = 2
            profile["status"] = rng.choice(STATUSES)
            updated = after(created)
            messages.append(
                message(customer, 2, "customer.updated", occurred_at=updated, **profile)
            )
            state[customer] = (country, segment, profile["status"])
            totals["updates"] += 1
        if index % 10 == 7:
            deleted = after(created)
            messages.append(message(customer, version + 1, "customer.deleted", occurred_at=deleted))
            del state[customer]
            totals["deletions"] += 1
    messages.extend(messages[index] for index in (3, 30, 60))  # retries: duplicates
    messages.extend([(b"cust-x", b"not json"), (b"cust-y", b'{"type": "customer.exploded"}')])
    orders, expected_orders = some_orders(state)
    return messages + orders, Expected(
        customers=len(state),
        applied=sum(totals.values()),
        duplicates=3,
        rejected=2,
        countries=len({country for country, _, _ in state.values()}),
        series_totals=dict(totals),
        newest=max(times),
        orders=expected_orders,
    )


def some_orders(
    state: dict[str, tuple[str, str, str]],
) -> tuple[list[tuple[bytes, bytes]], dict[tuple[str, str], tuple[int, str]]]:
    """Orders of every fifth customer (deleted ones too) and of one OLF never hears of.

    Returns them as order-events messages (marked with the topic's name first)
    and the table rows they make.
    """
    placed: Counter[tuple[str, str]] = Counter()
    revenue: dict[tuple[str, str], Decimal] = {}
    messages = []
    customers = [f"cust-{index}" for index in range(0, 150, 5)] + ["cust-never-created"]
    for number, customer in enumerate(customers):
        facts = OrderFacts(
            customer_id=customer,
            order_id=f"order-{number}",
            type="order.cancelled" if number % 4 == 3 else "order.placed",
            version=2 if number % 4 == 3 else 1,
            # Within the hour, before its busiest end: the newest event stays a customer's.
            occurred_at=(START + timedelta(minutes=20 + number)).timestamp(),
            amount=Decimal("19.90") + Decimal(number).scaleb(-2),
            currency="USD" if number % 3 == 0 else "EUR",
        )
        messages.append((b"order:" + customer.encode(), json.dumps(order_document(facts)).encode()))
        country = state[customer][0] if customer in state else "unknown"
        key = (country, facts.currency)
        placed[key] += 1
        revenue[key] = revenue.get(key, Decimal(0)) + (
            Decimal(0) if facts.type == "order.cancelled" else facts.amount
        )
    return messages, {key: (placed[key], money(revenue[key])) for key in placed}


async def data_value(page: Page, test_id: str) -> str | None:
    return await page.get_attribute(f'[data-testid="{test_id}"]', "data-value")


async def test_the_dashboard_shows_produced_events_live(
    worker_factory: Callable[..., Worker],
    producer: AIOKafkaProducer,
    events_topic: str,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
    chromium: Path,
) -> None:
    [worker] = start_ready_workers(worker_factory, 1)
    messages, expected = an_hour_of_events()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "console",
                lambda note: problems.append(note.text) if note.type == "error" else None,
            )
            await page.goto(worker.base_url + "/")
            await page.wait_for_selector('[data-testid="connection"][data-state="live"]')
            await page.wait_for_function(
                "document.querySelector('[data-testid=total-customers]').dataset.value === '0'"
            )
            assert await page.inner_text('[data-testid="timeseries-chart"]') == "No events yet"
            # Survives only if the page is never reloaded.
            await page.evaluate("window.notReloaded = true")

            for key, value in messages:
                if key.startswith(b"order:"):
                    key = key.removeprefix(b"order:")
                    await producer.send(order_topic(events_topic), value=value, key=key)
                else:
                    await producer.send(events_topic, value=value, key=key)
            await producer.flush()

            await page.wait_for_function(
                "document.querySelector('[data-testid=events-rejected]').dataset.value"
                f" === '{expected.rejected}'"
                " && document.querySelector('[data-testid=total-customers]').dataset.value"
                f" === '{expected.customers}'"
                " && document.querySelector('[data-testid=events-applied]').dataset.value"
                f" === '{expected.applied}'"
            )
            assert await data_value(page, "events-duplicates") == str(expected.duplicates)
            assert await page.evaluate("window.notReloaded") is True
            chart = page.locator('[data-testid="timeseries-chart"] svg')
            totals = json.loads(await chart.get_attribute("data-totals") or "{}")
            assert totals == expected.series_totals
            assert await chart.locator("path.series").count() == 3
            bars = page.locator('[data-testid="country-chart"] rect.bar')
            assert await bars.count() == min(expected.countries, 12)  # 11 and "other"
            await page.wait_for_function(
                "document.querySelector('[data-testid=orders-table] table')?.dataset.rows"
                f" === '{len(expected.orders)}'"
            )
            shown = page.locator('[data-testid="orders-table"] tbody tr')
            assert await shown.count() == min(len(expected.orders), 12)
            for index in range(await shown.count()):
                row = shown.nth(index)
                bucket = await row.get_attribute("data-bucket") or ""
                currency = await row.get_attribute("data-currency") or ""
                placed, revenue = expected.orders[bucket, currency]
                assert await row.get_attribute("data-placed") == str(placed)
                assert await row.get_attribute("data-revenue") == revenue
            assert ("unknown", "EUR") in expected.orders or ("unknown", "USD") in expected.orders
            newest = expected.newest.strftime("%Y-%m-%d %H:%M:%S")
            assert await page.inner_text('[data-testid="as-of"]') == (
                f"newest event {newest} UTC · lag 0 · 8/8 partitions"
            )
            assert not problems, f"the page reported errors: {problems}"

            shots = [tmp_path / "dashboard.png", tmp_path / "dashboard-phone.png"]
            await page.screenshot(path=shots[0], full_page=True)
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.wait_for_timeout(300)  # the charts redraw for the new width
            await page.screenshot(path=shots[1], full_page=True)
        finally:
            await browser.close()

    for shot in shots:
        record_property("screenshot", str(shot))
        print(f"dashboard screenshot: {shot}")
    publish(shots)


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; missing, the test fails: CI must never skip it."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: run `make install` (it runs apt-get install chromium)"
    )
    return CHROMIUM


def publish(shots: list[Path]) -> None:
    """Copy the screenshots to docs/ for the README, when asked to."""
    if os.environ.get("OLF_UPDATE_SCREENSHOT") == "1":
        DOCS.mkdir(exist_ok=True)
        for shot in shots:
            shutil.copyfile(shot, DOCS / shot.name)
