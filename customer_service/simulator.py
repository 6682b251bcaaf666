"""Realistic traffic against the Customer service's API, for demos and load.

It grows a population of customers to the requested size and then keeps it
moving: profile edits, segment upgrades, moves abroad, churn (customers going
inactive, or deleted and replaced by sign-ups), suspensions and
re-activations. Countries, segments and statuses follow fixed weights, so the
statistics OLF shows look like a real customer base. It talks only HTTP, like
any other client of the service.
"""

from __future__ import annotations

import asyncio
import random
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from tqdm import tqdm

from infrastructure.request_tally import Tally, tally_rows
from infrastructure.text_table import format_table

COUNTRIES: Final = {
    "NL": 30, "DE": 25, "FR": 15, "BE": 10, "GB": 10, "ES": 5, "IT": 4, "PL": 3, "SE": 2, "US": 5,
}  # fmt: skip
SEGMENTS: Final = {"consumer": 70, "smb": 25, "enterprise": 5}
NEW_CUSTOMER_STATUSES: Final = {"active": 85, "inactive": 10, "suspended": 5}
# What happens to an existing customer, once the population has its size.
CHANGES: Final = {
    "edit profile": 35,
    "change segment": 15,
    "move country": 5,
    "churn (inactive)": 12,
    "re-activate": 12,
    "suspend": 3,
    "delete": 10,
}
FIRST_NAMES: Final = ("Ada", "Bram", "Chloé", "Daan", "Emma", "Finn", "Greta", "Hugo", "Iris")
LAST_NAMES: Final = ("de Vries", "Müller", "Dubois", "Janssens", "García", "Rossi", "Kowalski")
PROGRESS_EVERY: Final = 10.0  # seconds between progress lines when not on a terminal


@dataclass
class Population:
    """The simulator's view of the customers it created and has not deleted, as last answered."""

    rng: random.Random
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def pick(self, status: str | None = None) -> str | None:
        """A random live customer, optionally with ``status``; None when there is none."""
        candidates = [
            customer_id
            for customer_id, customer in self.customers.items()
            if status is None or customer["status"] == status
        ]
        return self.rng.choice(candidates) if candidates else None


class Simulator:
    """Sends one realistic request per :meth:`step` through ``session`` to ``base_url``."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, customers: int, rng: random.Random
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._target = customers
        self._rng = rng
        self.population = Population(rng)
        self.tally = Tally()

    async def adopt_existing(self) -> int:
        """Take the service's live customers into the population; how many there were.

        So a simulation against a database that already has customers keeps
        its size near the target instead of adding that many again.
        """
        cursor: str | None = None
        while True:
            query = f"/customers?limit=500{f'&cursor={cursor}' if cursor else ''}"
            page, error = await self._request("GET", query)
            if page is None:
                raise RuntimeError(f"could not list the existing customers: {error}")
            for customer in page["customers"]:
                self.population.customers[customer["customer_id"]] = customer
            cursor = page["next_cursor"]
            if cursor is None:
                return len(self.population.customers)

    async def step(self) -> None:
        """One request: a sign-up while below the target size, otherwise a change."""
        live = len(self.population.customers)
        if live < self._target and (live < 0.9 * self._target or self._rng.random() < 0.5):
            await self._create()
            return
        action = _weighted(self._rng, CHANGES)
        if action == "re-activate":
            customer_id = self.population.pick("inactive") or self.population.pick("suspended")
        elif action in ("churn (inactive)", "suspend"):
            customer_id = self.population.pick("active")
        else:
            customer_id = self.population.pick()
        if customer_id is None:
            await self._create()
            return
        if action == "delete":
            await self._delete(customer_id)
        else:
            await self._change(action, customer_id)

    async def _create(self) -> None:
        first, last = self._rng.choice(FIRST_NAMES), self._rng.choice(LAST_NAMES)
        body = {
            "name": f"{first} {last}",
            "email": f"{_ascii(first)}.{_ascii(last)}.{self._rng.randrange(10**6)}@example.com",
            "country": _weighted(self._rng, COUNTRIES),
            "segment": _weighted(self._rng, SEGMENTS),
            "status": _weighted(self._rng, NEW_CUSTOMER_STATUSES),
        }
        answer, error = await self._request("POST", "/customers", body)
        if answer is not None:
            self.population.customers[answer["customer_id"]] = answer
        self.tally.record("sign up", error)

    async def _change(self, action: str, customer_id: str) -> None:
        # Every change changes something: the service ignores one that does not.
        current = self.population.customers[customer_id]
        changes: dict[str, str]
        if action == "edit profile":
            changes = {"email": f"{customer_id[-8:]}.{self._rng.randrange(10**6)}@example.org"}
        elif action == "change segment":
            changes = {"segment": _weighted(self._rng, SEGMENTS, besides=current["segment"])}
        elif action == "move country":
            changes = {"country": _weighted(self._rng, COUNTRIES, besides=current["country"])}
        elif action == "churn (inactive)":
            changes = {"status": "inactive"}
        elif action == "suspend":
            changes = {"status": "suspended"}
        else:
            changes = {"status": "active"}
        answer, error = await self._request("PATCH", f"/customers/{customer_id}", changes)
        if answer is not None:
            self.population.customers[customer_id] = answer
        self.tally.record(action, error)

    async def _delete(self, customer_id: str) -> None:
        _answer, error = await self._request("DELETE", f"/customers/{customer_id}")
        if error is None or error.startswith("404"):
            self.population.customers.pop(customer_id, None)
        self.tally.record("delete", error)

    async def _request(
        self, method: str, path: str, body: object = None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The JSON answer, or None and what went wrong."""
        try:
            async with self._session.request(method, self._base_url + path, json=body) as response:
                if response.status >= 400:
                    return None, f"{response.status} {await response.text()}"
                answer: dict[str, Any] = await response.json()
                return answer, None
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}"


async def simulate(
    base_url: str,
    token: str,
    customers: int,
    changes: int,
    rate: float,
    seed: int | None = None,
) -> Tally:
    """Send ``changes`` requests (0: until cancelled) at about ``rate`` per second.

    Shows a progress bar on a terminal (a line every few seconds otherwise)
    and prints a summary when it ends, also when it is cancelled.
    """
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=30)
    started = time.monotonic()
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
        simulator = Simulator(session, base_url, customers, random.Random(seed))
        adopted = await simulator.adopt_existing()
        if adopted:
            print(f"simulate: {adopted} customers exist already; they take part", flush=True)
        bar = tqdm(total=changes or None, unit="req", desc="simulate", disable=None)
        last_line = started
        sent = 0
        try:
            while changes == 0 or sent < changes:
                # Pace against the start, not the previous request, so the rate does not drift.
                delay = started + sent / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await simulator.step()
                sent += 1
                bar.update()
                bar.set_postfix(customers=len(simulator.population.customers), refresh=False)
                if bar.disable and time.monotonic() - last_line >= PROGRESS_EVERY:
                    last_line = time.monotonic()
                    print(_progress_line(simulator, sent, changes), flush=True)
        finally:
            bar.close()
            print(summary(simulator, time.monotonic() - started), flush=True)
    return simulator.tally


def summary(simulator: Simulator, elapsed: float) -> str:
    """The table printed when a simulation ends."""
    tally = simulator.tally
    rows = tally_rows(tally)
    total = sum(tally.done.values())
    statuses = Counter(customer["status"] for customer in simulator.population.customers.values())
    lines = [
        "",
        format_table(["request", "sent", "failed"], rows),
        "",
        f"{total} requests in {elapsed:.1f}s ({total / elapsed if elapsed else 0:.1f}/s); "
        f"{len(simulator.population.customers)} customers live: "
        + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())),
    ]
    if tally.first_errors:
        lines += ["first failures:", *(f"  {error}" for error in tally.first_errors)]
    return "\n".join(lines)


def _progress_line(simulator: Simulator, sent: int, changes: int) -> str:
    of = f" of {changes}" if changes else ""
    failed = sum(simulator.tally.failed.values())
    live = len(simulator.population.customers)
    return f"simulate: {sent}{of} requests, {failed} failed, {live} customers live"


def _ascii(name: str) -> str:
    """``"García"`` as ``"garcia"``: the part of a name that fits an everyday address."""
    decomposed = unicodedata.normalize("NFKD", name.lower().replace(" ", ""))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _weighted(rng: random.Random, weights: dict[str, int], besides: str | None = None) -> str:
    """A value drawn by weight, never ``besides``."""
    choices = {value: weight for value, weight in weights.items() if value != besides}
    return rng.choices(list(choices), weights=list(choices.values()))[0]
