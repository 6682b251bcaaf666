"""Every endpoint of the Orders service's API: orders, their errors, auth, the customer check."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from infrastructure.database import Database
from orders_service.order import AMOUNT_RULE, CURRENCY_RULE, CUSTOMER_ID_RULE
from orders_service.schema import orders, outbox
from orders_service.service import build_service
from orders_service.settings import Settings
from tests.orders_service.conftest import AUTH, Client, FakeCustomerService, order_body, place


async def rows(settings: Settings) -> tuple[int, int]:
    """How many orders and outbox rows the database holds."""
    database = Database(settings.database_url)
    try:
        async with database.read() as connection:
            counted = [
                await connection.scalar(select(func.count()).select_from(table))
                for table in (orders, outbox)
            ]
    finally:
        await database.close()
    return int(counted[0] or 0), int(counted[1] or 0)


# ---------------------------------------------------------------- POST /orders


async def test_placing_returns_the_order_at_version_1_with_its_location(client: Client) -> None:
    response = await client.post("/orders", json=order_body(), headers=AUTH)

    assert response.status == 201
    body = await response.json()
    assert response.headers["Location"] == f"/orders/{body['order_id']}"
    assert body["order_id"].startswith("ord-")
    assert {key: body[key] for key in ("customer_id", "amount", "currency")} == order_body()
    assert (body["status"], body["version"]) == ("placed", 1)
    assert body["placed_at"] == body["updated_at"]
    assert body["placed_at"].endswith("Z")


@pytest.mark.parametrize(
    ("raw_amount", "stored"),
    [
        (b"12.5", "12.5"),
        (b"0.1", "0.1"),  # through a float it would not be exactly 0.1
        (b"999999999999.9999", "999999999999.9999"),  # a float has 15-17 significant digits
        (b"7", "7"),
        (b"1E+2", "100"),
        (b'"012.50"', "12.50"),
    ],
)
async def test_amounts_are_kept_exactly_whether_strings_or_json_numbers(
    client: Client, raw_amount: bytes, stored: str
) -> None:
    raw = b'{"customer_id": "cust-1", "currency": "EUR", "amount": ' + raw_amount + b"}"

    response = await client.post("/orders", data=raw, headers=AUTH)

    assert response.status == 201, await response.text()
    order_id = (await response.json())["order_id"]
    assert (await (await client.get(f"/orders/{order_id}")).json())["amount"] == stored


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "0", AMOUNT_RULE),
        ("amount", "-1", AMOUNT_RULE),
        ("amount", 0, AMOUNT_RULE),
        ("amount", "1.00001", AMOUNT_RULE),
        ("amount", "1000000000000", AMOUNT_RULE),
        ("amount", "1e3", AMOUNT_RULE),
        ("amount", "NaN", AMOUNT_RULE),
        ("amount", " 1", AMOUNT_RULE),
        ("amount", True, AMOUNT_RULE),
        ("amount", None, AMOUNT_RULE),
        ("currency", "eur", CURRENCY_RULE),
        ("currency", "EURO", CURRENCY_RULE),
        ("currency", "XYZ", CURRENCY_RULE),
        ("currency", 978, CURRENCY_RULE),
        ("customer_id", "", CUSTOMER_ID_RULE),
        ("customer_id", "c" * 65, CUSTOMER_ID_RULE),
        ("customer_id", 1, CUSTOMER_ID_RULE),
    ],
)
async def test_a_bad_field_is_a_422_naming_it(
    client: Client, settings: Settings, field: str, value: object, message: str
) -> None:
    response = await client.post("/orders", json=order_body(**{field: value}), headers=AUTH)

    assert response.status == 422
    assert await response.json() == {
        "status": 422,
        "error": "Unprocessable Entity",
        "message": f"invalid: {field}",
        "errors": {field: message},
    }
    assert await rows(settings) == (0, 0)


async def test_missing_and_unknown_fields_are_named_at_once(client: Client) -> None:
    response = await client.post("/orders", json={"amount": "1", "colour": "red"}, headers=AUTH)

    assert response.status == 422
    assert (await response.json())["errors"] == {
        "colour": "is not an order field (fields: customer_id, amount, currency)",
        "currency": "is required",
        "customer_id": "is required",
    }


@pytest.mark.parametrize("raw", [b"{", b"[1]", b"NaN", b'{"amount": Infinity}'])
async def test_a_body_that_is_not_a_json_object_is_refused(client: Client, raw: bytes) -> None:
    response = await client.post("/orders", data=raw, headers=AUTH)

    assert response.status in (400, 422)
    body = await response.json()
    assert body["status"] == response.status
    if response.status == 400:
        assert body["message"] == "the request body must be JSON"


async def test_an_unknown_customer_is_a_422_and_nothing_is_written(
    client: Client, settings: Settings, customer_service: tuple[FakeCustomerService, str]
) -> None:
    response = await client.post("/orders", json=order_body(customer_id="cust-9"), headers=AUTH)

    assert response.status == 422
    assert (await response.json())["errors"] == {
        "customer_id": "is not a customer of the Customer service"
    }
    assert customer_service[0].asked == ["cust-9"]
    assert await rows(settings) == (0, 0)


async def test_a_customer_id_is_asked_for_as_one_path_segment(
    client: Client, customer_service: tuple[FakeCustomerService, str]
) -> None:
    fake, _url = customer_service
    fake.known.add("a b?c")

    await place(client, customer_id="a b?c")

    assert fake.asked == ["a b?c"]


@pytest.mark.parametrize("failing", [500, 502, 503])
async def test_a_failing_customer_service_is_a_503_with_retry_after_and_nothing_written(
    client: Client,
    settings: Settings,
    customer_service: tuple[FakeCustomerService, str],
    failing: int,
) -> None:
    customer_service[0].failing = failing

    response = await client.post("/orders", json=order_body(), headers=AUTH)

    assert response.status == 503
    assert response.headers["Retry-After"] == str(settings.retry_after)
    body = await response.json()
    assert (body["status"], body["error"]) == (503, "Service Unavailable")
    assert f"answered {failing}" in body["message"]
    assert "nothing was written" in body["message"]
    assert await rows(settings) == (0, 0)


async def test_an_unreachable_customer_service_is_a_503_and_nothing_written(
    settings: Settings,
) -> None:
    # Port 9 (discard) has no listener here: the connection is refused.
    down = replace(settings, customer_service_url="http://127.0.0.1:9", retry_after=7)
    async with TestClient(TestServer(build_service(down))) as client:
        response = await client.post("/orders", json=order_body(), headers=AUTH)

        assert response.status == 503
        assert response.headers["Retry-After"] == "7"
        assert "did not answer" in (await response.json())["message"]
    assert await rows(settings) == (0, 0)


# ---------------------------------------------------------------- cancel and read


async def test_cancelling_moves_the_order_to_version_2(client: Client) -> None:
    placed = await place(client)

    response = await client.post(f"/orders/{placed['order_id']}/cancel", headers=AUTH)

    assert response.status == 200
    body = await response.json()
    assert (body["status"], body["version"]) == ("cancelled", 2)
    assert body["amount"] == placed["amount"]
    assert body["placed_at"] == placed["placed_at"]
    assert await (await client.get(f"/orders/{placed['order_id']}")).json() == body


async def test_cancelling_twice_is_a_409_and_writes_nothing(
    client: Client, settings: Settings
) -> None:
    placed = await place(client)
    await client.post(f"/orders/{placed['order_id']}/cancel", headers=AUTH)

    response = await client.post(f"/orders/{placed['order_id']}/cancel", headers=AUTH)

    assert response.status == 409
    assert await response.json() == {
        "status": 409,
        "error": "Conflict",
        "message": f"order {placed['order_id']!r} is cancelled already",
    }
    assert await rows(settings) == (1, 2)


@pytest.mark.parametrize(("method", "path"), [("GET", ""), ("POST", "/cancel")])
async def test_an_unknown_order_is_a_404(client: Client, method: str, path: str) -> None:
    response = await client.request(method, f"/orders/ord-nope{path}", headers=AUTH)

    assert response.status == 404
    assert await response.json() == {
        "status": 404,
        "error": "Not Found",
        "message": "no order 'ord-nope'",
    }


async def test_status_shows_the_outbox_backlog(client: Client) -> None:
    placed = await place(client)
    await client.post(f"/orders/{placed['order_id']}/cancel", headers=AUTH)

    body = await (await client.get("/status")).json()

    assert body["outbox"]["pending"] == 2
    assert body["outbox"]["events"] == 2
    assert body["relay"]["running"] is False


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Basic abc"}, 401), ({"Authorization": "Bearer wrong"}, 403)],
)
@pytest.mark.parametrize("path", ["/orders", "/orders/ord-1/cancel"])
async def test_writes_need_the_bearer_token(
    client: Client, settings: Settings, headers: dict[str, str], status: int, path: str
) -> None:
    response = await client.post(path, json=order_body(), headers=headers)

    assert response.status == status
    assert (await response.json())["status"] == status
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="orders-service"'
    assert await rows(settings) == (0, 0)


async def test_reads_need_the_token_when_not_open(settings: Settings) -> None:
    closed = replace(settings, open_reads=False)
    async with TestClient(TestServer(build_service(closed))) as client:
        assert (await client.get("/status")).status == 401
        assert (await client.get("/status", headers=AUTH)).status == 200


# ---------------------------------------------------------------- the outbox


async def test_an_order_and_its_event_are_written_together(
    client: Client, settings: Settings
) -> None:
    placed = await place(client, amount="40.10", currency="GBP")
    await client.post(f"/orders/{placed['order_id']}/cancel", headers=AUTH)

    database = Database(settings.database_url)
    try:
        async with database.read() as connection:
            events = (await connection.execute(select(outbox).order_by(outbox.c.id))).all()
    finally:
        await database.close()
    documents: list[dict[str, Any]] = [orjson.loads(row.payload) for row in events]
    assert [(row.order_id, row.version, row.type) for row in events] == [
        (placed["order_id"], 1, "order.placed"),
        (placed["order_id"], 2, "order.cancelled"),
    ]
    assert all(row.customer_id == "cust-1" and row.sent_at is None for row in events)
    assert [(d["amount"], d["currency"], d["version"]) for d in documents] == [
        ("40.10", "GBP", 1),
        ("40.10", "GBP", 2),
    ]
    assert Decimal(documents[0]["amount"]) == Decimal("40.1")


async def test_a_failed_event_write_leaves_no_order(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_event: object) -> dict[str, object]:
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr("orders_service.order_store.outbox_row", broken)

    response = await client.post("/orders", json=order_body(), headers=AUTH)

    assert response.status == 500
    assert await rows(settings) == (0, 0)
