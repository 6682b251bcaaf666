"""Orders service fixtures: a fresh database per test, a fake Customer service, the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from infrastructure.database import Database
from orders_service.migrations import migrate
from orders_service.order_store import OrderStore
from orders_service.service import build_service
from orders_service.settings import Settings

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

Client = TestClient[web.Request, web.Application]


class FakeCustomerService:
    """Answers ``GET /customers/{id}`` (200 for ``known``, 404 otherwise) and lists them.

    ``failing`` makes every answer that status instead (a 5xx: the service in trouble).
    """

    def __init__(self) -> None:
        self.known: set[str] = {"cust-1", "cust-2"}
        #: Still in the listing, but deleted by the time one asks for them (404).
        self.deleted_since_listing: set[str] = set()
        self.failing: int | None = None
        self.asked: list[str] = []

    def app(self) -> web.Application:
        async def one(request: web.Request) -> web.Response:
            customer_id = request.match_info["customer_id"]
            self.asked.append(customer_id)
            if self.failing is not None:
                return web.json_response({"status": self.failing}, status=self.failing)
            if customer_id not in self.known:
                return web.json_response({"status": 404}, status=404)
            return web.json_response({"customer_id": customer_id})

        async def listing(_request: web.Request) -> web.Response:
            listed = self.known | self.deleted_since_listing
            customers = [{"customer_id": customer_id} for customer_id in sorted(listed)]
            return web.json_response({"customers": customers, "next_cursor": None})

        app = web.Application()
        app.router.add_get("/customers/{customer_id}", one)
        app.router.add_get("/customers", listing)
        return app


def order_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /orders body."""
    return {"customer_id": "cust-1", "amount": "12.50", "currency": "EUR", **overrides}


@pytest.fixture
async def customer_service() -> AsyncIterator[tuple[FakeCustomerService, str]]:
    fake = FakeCustomerService()
    server = TestServer(fake.app())
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}"


@pytest.fixture
def settings(database_url: str, customer_service: tuple[FakeCustomerService, str]) -> Settings:
    """This test's own database and fake Customer service; the relay off."""
    return Settings(
        database_url=database_url,
        token=TOKEN,
        relay_enabled=False,
        customer_service_url=customer_service[1],
        customer_check_timeout=2.0,
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url)
    await migrate(db)
    yield db
    await db.close()


@pytest.fixture
def store(database: Database) -> OrderStore:
    return OrderStore(database)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """The whole service (migrations included) behind a test HTTP server."""
    async with TestClient(TestServer(build_service(settings))) as test_client:
        yield test_client


async def place(client: Client, **overrides: Any) -> dict[str, Any]:
    """Place an order through the API; fail the test unless it answers 201."""
    response = await client.post("/orders", json=order_body(**overrides), headers=AUTH)
    assert response.status == 201, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer
