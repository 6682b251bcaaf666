"""The Customer service's HTTP API (aiohttp): customers, and the outbox's status.

| request | answer |
|---|---|
| ``POST /customers`` | 201, the new customer; ``Location`` names it |
| ``GET /customers/{id}`` | 200, the customer; 404 when unknown or deleted |
| ``PATCH /customers/{id}`` | 200, the customer after the change |
| ``DELETE /customers/{id}`` | 200, ``{"customer_id", "version", "deleted": true}`` |
| ``GET /customers?country=&segment=&status=&limit=&cursor=`` | 200, a page and ``next_cursor`` |
| ``GET /status`` | 200, outbox backlog and relay state |

Writes need ``Authorization: Bearer <token>`` (401 without, 403 with a wrong
one); reads too unless ``open_reads``. Every error is JSON: ``{"status",
"error", "message"}``, and a 422 adds ``"errors"``, one message per bad field.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from multidict import MultiMapping

from customer_service.customer import (
    Customer,
    ValidationFailed,
    check_filter,
    validate_changes,
    validate_new_customer,
)
from customer_service.customer_store import CustomerNotFound, CustomerStore
from customer_service.outbox import OUTBOX
from customer_service.pagination import decode_cursor
from customer_service.settings import Settings
from infrastructure.bearer_auth import bearer_auth
from infrastructure.json_bodies import json_answer, read_json
from infrastructure.json_errors import Handler, json_error, json_errors
from infrastructure.outbox_relay import RelayState
from infrastructure.relay_status import status_json
from infrastructure.timestamps import rfc3339

logger = logging.getLogger(__name__)

STORE: Final = web.AppKey("store", CustomerStore)
SETTINGS: Final = web.AppKey("settings", Settings)
RELAY_STATE: Final = web.AppKey("relay_state", RelayState)

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
LIST_FILTERS: Final = ("country", "segment", "status")
LIST_PARAMETERS: Final = (*LIST_FILTERS, "limit", "cursor")
_LIMIT_DIGITS: Final = re.compile(r"[0-9]{1,4}")


def create_api(
    settings: Settings, store: CustomerStore, relay_state: RelayState
) -> web.Application:
    """The web application; the caller owns the database and relay behind ``store``."""
    app = web.Application(
        middlewares=[
            json_errors(logger, "the service's log"),
            _customer_errors,
            bearer_auth(settings.token, "customer-service", settings.open_reads),
        ]
    )
    app[SETTINGS] = settings
    app[STORE] = store
    app[RELAY_STATE] = relay_state
    app.router.add_post("/customers", create_customer)
    app.router.add_get("/customers", list_customers)
    app.router.add_get("/customers/{customer_id}", get_customer)
    app.router.add_patch("/customers/{customer_id}", update_customer)
    app.router.add_delete("/customers/{customer_id}", delete_customer)
    app.router.add_get("/status", status)
    return app


async def create_customer(request: web.Request) -> web.Response:
    attributes = validate_new_customer(await read_json(request))
    customer = await request.app[STORE].create(attributes)
    return json_answer(
        customer_json(customer), status=201, headers={"Location": _location(customer)}
    )


async def get_customer(request: web.Request) -> web.Response:
    customer = await request.app[STORE].get(request.match_info["customer_id"])
    return json_answer(customer_json(customer))


async def update_customer(request: web.Request) -> web.Response:
    customer_id = request.match_info["customer_id"]
    changes = validate_changes(await read_json(request))
    customer = await request.app[STORE].update(customer_id, changes)
    return json_answer(customer_json(customer))


async def delete_customer(request: web.Request) -> web.Response:
    customer = await request.app[STORE].delete(request.match_info["customer_id"])
    return json_answer(
        {"customer_id": customer.customer_id, "version": customer.version, "deleted": True}
    )


async def list_customers(request: web.Request) -> web.Response:
    filters, limit, after = _list_query(request.query)
    page = await request.app[STORE].list(filters, limit, after)
    return json_answer(
        {
            "customers": [customer_json(customer) for customer in page.customers],
            "next_cursor": page.next_cursor,
        }
    )


async def status(request: web.Request) -> web.Response:
    backlog = await OUTBOX.status(request.app[STORE].database)
    return json_answer(status_json(backlog, request.app[RELAY_STATE]))


def customer_json(customer: Customer) -> dict[str, Any]:
    """A customer as the API returns it."""
    return {
        "customer_id": customer.customer_id,
        **customer.attributes(),
        "version": customer.version,
        "created_at": rfc3339(customer.created_at),
        "updated_at": rfc3339(customer.updated_at),
    }


def _list_query(query: MultiMapping[str]) -> tuple[dict[str, str], int, str | None]:
    """Filters, limit and cursor of a list request.

    Raises:
        ValidationFailed: naming each bad or unknown parameter.
    """
    errors: dict[str, str] = {}
    for name in query:
        if name not in LIST_PARAMETERS:
            errors[name] = f"is not a query parameter (parameters: {', '.join(LIST_PARAMETERS)})"
        elif len(query.getall(name)) > 1:
            errors[name] = "must be given at most once"
    filters: dict[str, str] = {}
    for name in LIST_FILTERS:
        value = query.get(name)
        if value is None or name in errors:
            continue
        problem = check_filter(name, value)
        if problem:
            errors[name] = problem
        else:
            filters[name] = value
    limit = DEFAULT_LIMIT
    raw_limit = query.get("limit")
    if raw_limit is not None and "limit" not in errors:
        # ASCII digits only: str.isdigit also accepts "²" and other scripts'
        # digits, which int() then rejects or reads as a number.
        if _LIMIT_DIGITS.fullmatch(raw_limit) and 1 <= int(raw_limit) <= MAX_LIMIT:
            limit = int(raw_limit)
        else:
            errors["limit"] = f"must be an integer from 1 to {MAX_LIMIT}"
    after = None
    cursor = query.get("cursor")
    if cursor is not None and "cursor" not in errors:
        try:
            after = decode_cursor(cursor)
        except ValueError as exc:
            errors["cursor"] = str(exc)
    if errors:
        raise ValidationFailed(dict(sorted(errors.items())))
    return filters, limit, after


def _location(customer: Customer) -> str:
    return f"/customers/{customer.customer_id}"


@web.middleware
async def _customer_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The service's own errors as JSON: validation (422), unknown customers (404).

    HTTP errors and crashes are answered by :func:`~infrastructure.json_errors.json_errors`.
    """
    try:
        return await handler(request)
    except ValidationFailed as exc:
        fields = ", ".join(exc.errors)
        return json_error(HTTPStatus.UNPROCESSABLE_ENTITY, f"invalid: {fields}", errors=exc.errors)
    except CustomerNotFound as exc:
        return json_error(HTTPStatus.NOT_FOUND, f"no customer {exc.args[0]!r}")
