"""Customer service fixtures: a fresh database per test and the API in-process.

The database is a SQLite file unless ``CUSTOMER_SERVICE_TEST_DATABASE_URL``
names a PostgreSQL server (``postgresql+asyncpg://user@host:port/postgres``):
then every test gets a database of its own there, dropped afterwards, and the
same tests check the service on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from customer_service.customer_store import CustomerStore
from customer_service.migrations import migrate
from customer_service.service import build_service
from customer_service.settings import Settings
from infrastructure.database import Database

TEST_SERVER_URL = os.environ.get("CUSTOMER_SERVICE_TEST_DATABASE_URL")
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

Client = TestClient[web.Request, web.Application]


def customer_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /customers body."""
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "country": "NL",
        "segment": "smb",
        "status": "active",
        **overrides,
    }


@asynccontextmanager
async def empty_database(directory: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database, removed afterwards."""
    if TEST_SERVER_URL is None:
        yield f"sqlite+aiosqlite:///{directory / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"customer_service_test_{uuid.uuid4().hex[:12]}"
    server = create_async_engine(TEST_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(TEST_SERVER_URL).set(database=name).render_as_string(hide_password=False)
        async with server.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await server.dispose()


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of this test's own."""
    async with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
async def second_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """Another empty database, for tests that compare two."""
    async with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """This test's own database; the relay off (tests of it start one themselves)."""
    return Settings(database_url=database_url, token=TOKEN, relay_enabled=False)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The migrated database of ``settings``."""
    db = Database(settings.database_url)
    await migrate(db)
    yield db
    await db.close()


@pytest.fixture
def store(database: Database) -> CustomerStore:
    return CustomerStore(database)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """The whole service (migrations included) behind a test HTTP server."""
    async with TestClient(TestServer(build_service(settings))) as test_client:
        yield test_client


async def create(client: Client, **overrides: Any) -> dict[str, Any]:
    """Create a customer through the API; fail the test unless it answers 201."""
    response = await client.post("/customers", json=customer_body(**overrides), headers=AUTH)
    assert response.status == 201, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer
