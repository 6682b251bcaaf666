"""JSON error answers: aiohttp's HTTP errors and unexpected failures, as both services give them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from infrastructure.json_errors import json_errors

Client = TestClient[web.Request, web.Application]
log = logging.getLogger("tests.json_errors")


async def told_off(request: web.Request) -> web.Response:
    raise web.HTTPBadRequest(text="the request body must be JSON")


async def too_many(request: web.Request) -> web.Response:
    raise web.HTTPTooManyRequests()  # aiohttp's own text: "429: Too Many Requests"


async def moved(request: web.Request) -> web.Response:
    raise web.HTTPFound("/elsewhere")


async def broken(request: web.Request) -> web.Response:
    raise RuntimeError("a bug")


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    app = web.Application(middlewares=[json_errors(log, "the test log")])
    app.router.add_get("/told-off", told_off)
    app.router.add_get("/too-many", too_many)
    app.router.add_get("/moved", moved)
    app.router.add_get("/broken", broken)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def error_of(status: int, phrase: str, message: str) -> dict[str, object]:
    return {"status": status, "error": phrase, "message": message}


async def test_an_unknown_path_names_the_path(client: Client) -> None:
    response = await client.get("/nothing")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert await response.json() == error_of(404, "Not Found", "no such path: /nothing")


async def test_another_method_names_the_allowed_ones(client: Client) -> None:
    response = await client.post("/told-off")
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}
    body = await response.json()
    assert body["error"] == "Method Not Allowed"
    assert body["message"].startswith("method POST is not allowed here; allowed: ")


async def test_a_handler_s_own_text_is_the_message(client: Client) -> None:
    response = await client.get("/told-off")
    assert response.status == 400
    assert await response.json() == error_of(400, "Bad Request", "the request body must be JSON")


async def test_without_a_text_the_reason_is_the_message_not_aiohttp_s_default(
    client: Client,
) -> None:
    response = await client.get("/too-many")
    assert response.status == 429
    assert await response.json() == error_of(429, "Too Many Requests", "Too Many Requests")


async def test_redirects_are_answers_not_errors(client: Client) -> None:
    response = await client.get("/moved", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/elsewhere"


async def test_an_unexpected_failure_is_a_500_and_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/broken")
    assert response.status == 500
    assert await response.json() == error_of(
        500, "Internal Server Error", "internal error; see the test log"
    )
    assert "Failed to answer GET /broken" in caplog.text
    assert "RuntimeError: a bug" in caplog.text
