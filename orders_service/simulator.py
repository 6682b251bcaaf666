"""Realistic traffic against the Orders service's API, for demos and load.

It places orders for the Customer service's live customers (listed through
that service's API, ``GET /customers``, and listed again every
:data:`REFRESH_EVERY` seconds, so new customers order too) and cancels some
of the orders it placed. Currencies follow fixed weights, amounts are whole
cents from 1.00 to 500.00, built as ``Decimal`` and sent as strings. It talks
only HTTP, like any other client of either service.

A placement the Orders service refuses with a 422 because the customer was
deleted meanwhile is normal traffic here (the Customer service's simulator
deletes customers): it is counted as ``place (customer gone)``, not as a
failure, and the customer is forgotten.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import aiohttp
from tqdm import tqdm

from infrastructure.request_tally import Tally, tally_rows
from infrastructure.text_table import format_table

CURRENCIES: Final = {"EUR": 70, "GBP": 10, "USD": 10, "CHF": 4, "SEK": 3, "PLN": 3}
#: Of the requests, the share that cancels one of the orders placed (while there are any).
CANCEL_SHARE: Final = 0.15
MAX_CENTS: Final = 50_000
#: Seconds between two listings of the Customer service's customers.
REFRESH_EVERY: Final = 30.0
PROGRESS_EVERY: Final = 10.0  # seconds between progress lines when not on a terminal
CUSTOMER_GONE: Final = "place (customer gone)"


@dataclass
class Known:
    """The simulator's view: customers to order for, and its orders still placed."""

    customers: list[str] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)
    listed_at: float | None = None


class OrderSimulator:
    """Sends one realistic request per :meth:`step` through ``session``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        customer_service_url: str,
        rng: random.Random,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._customers_url = customer_service_url.rstrip("/")
        self._rng = rng
        self.known = Known()
        self.tally = Tally()

    async def list_customers(self) -> int:
        """List the Customer service's live customers again; how many there are.

        Raises:
            RuntimeError: the Customer service did not answer.
        """
        found: list[str] = []
        cursor: str | None = None
        while True:
            query = f"/customers?limit=500{f'&cursor={cursor}' if cursor else ''}"
            page, error = await self._request("GET", self._customers_url + query)
            if page is None:
                raise RuntimeError(f"could not list the customers: {error}")
            found.extend(customer["customer_id"] for customer in page["customers"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.known.customers = sorted(found)
        self.known.listed_at = time.monotonic()
        return len(found)

    async def step(self) -> None:
        """One request: a cancellation now and then, otherwise a new order."""
        listed_at = self.known.listed_at
        if (
            not self.known.customers
            or listed_at is None
            or time.monotonic() - listed_at > REFRESH_EVERY
        ):
            await self.list_customers()
        if self.known.placed and self._rng.random() < CANCEL_SHARE:
            await self._cancel()
        elif self.known.customers:
            await self._place()
        else:
            self.tally.record("wait for customers", None)

    async def _place(self) -> None:
        customer_id = self._rng.choice(self.known.customers)
        amount = Decimal(self._rng.randrange(100, MAX_CENTS + 1)) / 100
        currency = self._rng.choices(list(CURRENCIES), weights=list(CURRENCIES.values()))[0]
        body = {"customer_id": customer_id, "amount": str(amount), "currency": currency}
        answer, error = await self._request("POST", self._base_url + "/orders", body)
        if answer is not None:
            self.known.placed.append(answer["order_id"])
        elif error is not None and error.startswith("422 ") and "customer_id" in error:
            self.known.customers.remove(customer_id)
            self.tally.record(CUSTOMER_GONE, None)
            return
        self.tally.record("place", error)

    async def _cancel(self) -> None:
        order_id = self.known.placed.pop(self._rng.randrange(len(self.known.placed)))
        _answer, error = await self._request("POST", f"{self._base_url}/orders/{order_id}/cancel")
        self.tally.record("cancel", error)

    async def _request(
        self, method: str, url: str, body: object = None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The JSON answer, or None and what went wrong."""
        try:
            async with self._session.request(method, url, json=body) as response:
                if response.status >= 400:
                    return None, f"{response.status} {await response.text()}"
                answer: dict[str, Any] = await response.json()
                return answer, None
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}"


async def simulate(
    base_url: str,
    token: str,
    customer_service_url: str,
    requests: int,
    rate: float,
    seed: int | None = None,
) -> Tally:
    """Send ``requests`` requests (0: until cancelled) at about ``rate`` per second.

    Shows a progress bar on a terminal (a line every few seconds otherwise)
    and prints a summary when it ends, also when it is cancelled.

    Raises:
        RuntimeError: the Customer service did not answer a listing of its customers.
    """
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=30)
    started = time.monotonic()
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
        simulator = OrderSimulator(session, base_url, customer_service_url, random.Random(seed))
        bar = tqdm(total=requests or None, unit="req", desc="simulate", disable=None)
        last_line = started
        sent = 0
        try:
            while requests == 0 or sent < requests:
                # Pace against the start, not the previous request, so the rate does not drift.
                delay = started + sent / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await simulator.step()
                sent += 1
                bar.update()
                if bar.disable and time.monotonic() - last_line >= PROGRESS_EVERY:
                    last_line = time.monotonic()
                    failed = sum(simulator.tally.failed.values())
                    print(f"simulate: {sent} requests, {failed} failed", flush=True)
        finally:
            bar.close()
            print(summary(simulator, time.monotonic() - started), flush=True)
    return simulator.tally


def summary(simulator: OrderSimulator, elapsed: float) -> str:
    """The table printed when a simulation ends."""
    tally = simulator.tally
    total = sum(tally.done.values())
    lines = [
        "",
        format_table(["request", "sent", "failed"], tally_rows(tally)),
        "",
        f"{total} requests in {elapsed:.1f}s ({total / elapsed if elapsed else 0:.1f}/s); "
        f"{len(simulator.known.placed)} of the orders placed are not cancelled",
    ]
    if tally.first_errors:
        lines += ["first failures:", *(f"  {error}" for error in tally.first_errors)]
    return "\n".join(lines)
