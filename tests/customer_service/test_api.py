"""Every endpoint of the Customer service's API, its validation errors, auth and pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from customer_service.service import build_service
from customer_service.settings import Settings
from tests.customer_service.conftest import AUTH, TOKEN, Client, create, customer_body

COUNTRY_RULE = "must be an ISO 3166-1 alpha-2 code in capitals, such as NL"
SEGMENT_RULE = "must be one of: consumer, smb, enterprise"
STATUS_RULE = "must be one of: active, inactive, suspended"
LIMIT_RULE = "must be an integer from 1 to 500"
INVISIBLE_CHARACTERS = (
    "must not contain control or format characters"
    " (such as NUL, line breaks or bidirectional overrides)"
)
READ_ONLY = "is set by the service and cannot be written"
NOT_A_FIELD = "is not a customer field (fields: name, email, country, segment, status)"
NOT_A_PARAMETER = "is not a query parameter (parameters: country, segment, status, limit, cursor)"

# ---------------------------------------------------------------- POST /customers


async def test_create_returns_the_customer_at_version_1_with_its_location(client: Client) -> None:
    response = await client.post("/customers", json=customer_body(), headers=AUTH)

    assert response.status == 201
    body = await response.json()
    assert response.headers["Location"] == f"/customers/{body['customer_id']}"
    assert body["customer_id"].startswith("cust-")
    assert {key: body[key] for key in ("name", "email", "country", "segment", "status")} == (
        customer_body()
    )
    assert body["version"] == 1
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith("Z")


async def test_create_defaults_status_to_active_and_trims_name_and_email(client: Client) -> None:
    body = customer_body(name="  Ada  ", email=" ada@example.com ")
    del body["status"]

    created = await (await client.post("/customers", json=body, headers=AUTH)).json()

    assert (created["status"], created["name"], created["email"]) == (
        "active",
        "Ada",
        "ada@example.com",
    )


async def test_each_created_customer_gets_its_own_id(client: Client) -> None:
    ids = {(await create(client))["customer_id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "must be 1-200 characters"),
        ("name", "   ", "must be 1-200 characters"),
        ("name", "x" * 201, "must be 1-200 characters"),
        ("name", 42, "must be a string"),
        ("name", "Ada\x00", INVISIBLE_CHARACTERS),
        ("name", "Ada\nLovelace", INVISIBLE_CHARACTERS),
        ("name", "Ada \u202egnilruT", INVISIBLE_CHARACTERS),  # a right-to-left override
        ("name", "A\u200dda", INVISIBLE_CHARACTERS),  # a zero-width joiner
        ("email", "ada", "must look like name@example.com"),
        ("email", "ada@example", "must look like name@example.com"),
        ("email", "a da@example.com", "must look like name@example.com"),
        ("email", "ada@@example.com", "must look like name@example.com"),
        ("email", "a" * 250 + "@example.com", "must be at most 254 characters"),
        ("email", None, "must be a string"),
        ("country", "nl", COUNTRY_RULE),
        ("country", "XX", COUNTRY_RULE),
        ("country", "NLD", COUNTRY_RULE),
        ("segment", "startup", SEGMENT_RULE),
        ("segment", "SMB", SEGMENT_RULE),
        ("status", "churned", STATUS_RULE),
        ("status", True, "must be a string"),
        ("customer_id", "cust-1", READ_ONLY),
        ("version", 7, READ_ONLY),
        (
            "nickname",
            "Ada",
            NOT_A_FIELD,
        ),
    ],
)
async def test_create_rejects_each_bad_field_by_name(
    client: Client, field: str, value: object, message: str
) -> None:
    response = await client.post("/customers", json=customer_body(**{field: value}), headers=AUTH)

    assert response.status == 422
    body = await response.json()
    assert body["errors"] == {field: message}
    assert body["status"] == 422
    assert field in body["message"]


async def test_create_names_every_missing_field(client: Client) -> None:
    response = await client.post("/customers", json={"status": "active"}, headers=AUTH)

    assert response.status == 422
    errors = (await response.json())["errors"]
    assert errors == {field: "is required" for field in ("country", "email", "name", "segment")}


async def test_create_names_all_bad_fields_at_once(client: Client) -> None:
    body = customer_body(country="XX", email="nope", segment="huge")

    errors = (await (await client.post("/customers", json=body, headers=AUTH)).json())["errors"]

    assert sorted(errors) == ["country", "email", "segment"]


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"text"', b"null"])
async def test_create_wants_a_json_object(client: Client, payload: bytes) -> None:
    response = await client.post("/customers", data=payload, headers=AUTH)

    assert response.status == 422
    assert (await response.json())["errors"] == {"body": "must be a JSON object"}


async def test_a_body_that_is_not_json_is_a_bad_request(client: Client) -> None:
    response = await client.post("/customers", data=b"{name: Ada", headers=AUTH)

    assert response.status == 400
    assert (await response.json())["message"] == "the request body must be JSON"


async def test_rejected_requests_write_nothing(client: Client) -> None:
    await client.post("/customers", json=customer_body(country="XX"), headers=AUTH)
    await client.post("/customers", json=customer_body(), headers={})

    listing = await (await client.get("/customers")).json()
    status = await (await client.get("/status")).json()
    assert listing["customers"] == []
    assert status["outbox"]["events"] == 0


# ---------------------------------------------------------------- GET /customers/{id}


async def test_get_returns_what_create_returned(client: Client) -> None:
    created = await create(client)

    response = await client.get(f"/customers/{created['customer_id']}")

    assert response.status == 200
    assert await response.json() == created


async def test_get_of_an_unknown_customer_is_404(client: Client) -> None:
    response = await client.get("/customers/cust-nobody")

    assert response.status == 404
    assert await response.json() == {
        "status": 404,
        "error": "Not Found",
        "message": "no customer 'cust-nobody'",
    }


# ---------------------------------------------------------------- PATCH /customers/{id}


async def test_patch_changes_the_fields_given_and_bumps_the_version(client: Client) -> None:
    created = await create(client)
    path = f"/customers/{created['customer_id']}"

    response = await client.patch(path, json={"country": "DE", "status": "inactive"}, headers=AUTH)

    assert response.status == 200
    updated = await response.json()
    assert updated == {
        **created,
        "country": "DE",
        "status": "inactive",
        "version": 2,
        "updated_at": updated["updated_at"],
    }
    assert updated["updated_at"] > created["updated_at"]
    assert await (await client.get(path)).json() == updated


async def test_patch_that_changes_nothing_keeps_the_version(client: Client) -> None:
    created = await create(client, country="NL")

    response = await client.patch(
        f"/customers/{created['customer_id']}", json={"country": "NL"}, headers=AUTH
    )

    assert response.status == 200
    assert await response.json() == created


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"body": "must set at least one of: name, email, country, segment, status"}),
        ({"country": "Netherlands"}, {"country": COUNTRY_RULE}),
        ({"email": "ada.example.com"}, {"email": "must look like name@example.com"}),
        ({"name": ""}, {"name": "must be 1-200 characters"}),
        ({"segment": "gold"}, {"segment": SEGMENT_RULE}),
        ({"status": "deleted"}, {"status": STATUS_RULE}),
        ({"version": 5}, {"version": READ_ONLY}),
        ({"customer_id": "other"}, {"customer_id": READ_ONLY}),
        ({"city": "Delft"}, {"city": NOT_A_FIELD}),
    ],
)
async def test_patch_rejects_each_bad_field_by_name(
    client: Client, body: dict[str, Any], errors: dict[str, str]
) -> None:
    created = await create(client)
    path = f"/customers/{created['customer_id']}"

    response = await client.patch(path, json=body, headers=AUTH)

    assert response.status == 422
    assert (await response.json())["errors"] == errors
    assert await (await client.get(path)).json() == created


async def test_patch_of_an_unknown_customer_is_404(client: Client) -> None:
    response = await client.patch("/customers/cust-nobody", json={"status": "active"}, headers=AUTH)
    assert response.status == 404


# ---------------------------------------------------------------- DELETE /customers/{id}


async def test_delete_answers_the_new_version_and_the_customer_is_gone(client: Client) -> None:
    created = await create(client)
    path = f"/customers/{created['customer_id']}"
    await client.patch(path, json={"segment": "enterprise"}, headers=AUTH)

    response = await client.delete(path, headers=AUTH)

    assert response.status == 200
    assert await response.json() == {
        "customer_id": created["customer_id"],
        "version": 3,
        "deleted": True,
    }
    assert (await client.get(path)).status == 404
    assert (await client.patch(path, json={"status": "active"}, headers=AUTH)).status == 404
    assert (await client.delete(path, headers=AUTH)).status == 404
    assert (await (await client.get("/customers")).json())["customers"] == []


async def test_delete_of_an_unknown_customer_is_404(client: Client) -> None:
    assert (await client.delete("/customers/cust-nobody", headers=AUTH)).status == 404


# ---------------------------------------------------------------- auth


WRITES = [
    ("POST", "/customers", customer_body()),
    ("PATCH", "/customers/cust-any", {"status": "active"}),
    ("DELETE", "/customers/cust-any", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
    ],
    ids=["no header", "no scheme", "basic", "empty token"],
)
async def test_writes_without_a_bearer_token_are_401(
    client: Client, method: str, path: str, body: object, headers: dict[str, str]
) -> None:
    response = await client.request(method, path, json=body, headers=headers)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="customer-service"'
    assert (await response.json())[
        "message"
    ] == "this request needs 'Authorization: Bearer <token>'"


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_writes_with_a_wrong_token_are_403(
    client: Client, method: str, path: str, body: object
) -> None:
    response = await client.request(
        method, path, json=body, headers={"Authorization": f"Bearer {TOKEN}x"}
    )

    assert response.status == 403
    assert (await response.json())["error"] == "Forbidden"


async def test_reads_are_open_by_default(client: Client) -> None:
    created = await create(client)
    assert (await client.get(f"/customers/{created['customer_id']}")).status == 200
    assert (await client.get("/customers")).status == 200
    assert (await client.get("/status")).status == 200


@pytest.fixture
async def closed_client(settings: Settings) -> AsyncIterator[Client]:
    closed = Settings(
        database_url=settings.database_url, token=TOKEN, relay_enabled=False, open_reads=False
    )
    async with TestClient(TestServer(build_service(closed))) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/customers", "/customers/cust-any", "/status"])
async def test_closed_reads_need_the_token(closed_client: Client, path: str) -> None:
    assert (await closed_client.get(path)).status == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert (await closed_client.get(path, headers=wrong)).status == 403
    assert (await closed_client.get(path, headers=AUTH)).status in (200, 404)


async def test_closed_reads_answer_with_the_token(closed_client: Client) -> None:
    created = await create(closed_client)

    response = await closed_client.get(f"/customers/{created['customer_id']}", headers=AUTH)

    assert response.status == 200
    assert await response.json() == created


# ---------------------------------------------------------------- GET /customers


async def walk(
    client: Client, query: str, cursor: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Every customer the list returns page by page from ``cursor``, and the number of pages."""
    seen: list[dict[str, Any]] = []
    pages = 0
    while True:
        url = f"/customers?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(url)
        assert response.status == 200, await response.text()
        page = await response.json()
        pages += 1
        seen.extend(page["customers"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages
        assert pages < 100, "pagination does not end"


async def test_pages_return_every_matching_customer_once_in_id_order(client: Client) -> None:
    created = [
        await create(client, country=country, segment=segment)
        for country, segment in [("NL", "smb")] * 7 + [("DE", "smb")] * 3 + [("NL", "consumer")] * 2
    ]
    dutch_smb = sorted(
        (c for c in created if (c["country"], c["segment"]) == ("NL", "smb")),
        key=lambda c: c["customer_id"],
    )

    seen, pages = await walk(client, "country=NL&segment=smb&limit=3")

    assert seen == dutch_smb
    assert pages == 3


async def test_a_limit_that_divides_the_list_ends_with_no_cursor(client: Client) -> None:
    for _ in range(4):
        await create(client)

    seen, pages = await walk(client, "limit=2")

    assert (len(seen), pages) == (4, 2)


async def test_the_list_filters_by_status_and_leaves_out_deleted_customers(client: Client) -> None:
    keep = await create(client, status="suspended")
    await create(client, status="active")
    gone = await create(client, status="suspended")
    await client.delete(f"/customers/{gone['customer_id']}", headers=AUTH)

    seen, _ = await walk(client, "status=suspended")

    assert seen == [keep]


async def test_customers_added_between_pages_do_not_repeat_or_skip_older_ones(
    client: Client,
) -> None:
    before = [await create(client) for _ in range(6)]
    first = await (await client.get("/customers?limit=3")).json()
    for _ in range(3):
        await create(client)

    rest, _ = await walk(client, "limit=3", first["next_cursor"])

    listed = [c["customer_id"] for c in first["customers"] + rest]
    assert len(listed) == len(set(listed))
    assert {c["customer_id"] for c in before} <= set(listed)


async def test_the_default_page_holds_50(client: Client) -> None:
    for _ in range(51):
        await create(client)

    page = await (await client.get("/customers")).json()

    assert len(page["customers"]) == 50
    assert page["next_cursor"] is not None


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("limit=0", {"limit": LIMIT_RULE}),
        ("limit=501", {"limit": LIMIT_RULE}),
        ("limit=ten", {"limit": LIMIT_RULE}),
        ("limit=-1", {"limit": LIMIT_RULE}),
        ("limit=" + "9" * 5000, {"limit": LIMIT_RULE}),
        ("limit=%C2%B2", {"limit": LIMIT_RULE}),  # "²": a digit to str.isdigit, not to int
        ("limit=%D9%A5", {"limit": LIMIT_RULE}),  # an Arabic-Indic five
        ("cursor=bm9wZQ", {"cursor": "is not a cursor this service returned"}),
        ("cursor=", {"cursor": "is not a cursor this service returned"}),
        ("country=XX", {"country": COUNTRY_RULE}),
        ("segment=gold", {"segment": SEGMENT_RULE}),
        ("status=gone", {"status": STATUS_RULE}),
        ("city=Delft", {"city": NOT_A_PARAMETER}),
        ("country=NL&country=DE", {"country": "must be given at most once"}),
        ("limit=0&segment=gold", {"limit": LIMIT_RULE, "segment": SEGMENT_RULE}),
    ],
)
async def test_the_list_rejects_each_bad_parameter_by_name(
    client: Client, query: str, errors: dict[str, str]
) -> None:
    response = await client.get(f"/customers?{query}")

    assert response.status == 422
    assert (await response.json())["errors"] == errors


# ---------------------------------------------------------------- GET /status and errors


async def test_status_counts_pending_outbox_events(client: Client) -> None:
    created = await create(client)
    await client.patch(f"/customers/{created['customer_id']}", json={"country": "BE"}, headers=AUTH)

    status = await (await client.get("/status")).json()

    assert status["outbox"]["pending"] == 2
    assert status["outbox"]["events"] == 2
    assert status["outbox"]["oldest_pending_at"] == created["created_at"]
    assert status["relay"]["running"] is False


async def test_unknown_paths_and_methods_answer_json(client: Client) -> None:
    missing = await client.get("/customer")
    wrong_method = await client.put("/customers/cust-any", json={}, headers=AUTH)

    assert (missing.status, (await missing.json())["error"]) == (404, "Not Found")
    assert (wrong_method.status, (await wrong_method.json())["error"]) == (
        405,
        "Method Not Allowed",
    )
    assert "PATCH" in wrong_method.headers["Allow"]
