"""The Orders service's HTTP API (aiohttp): orders, and the outbox's status.

| request | answer |
|---|---|
| ``POST /orders`` ``{"customer_id", "amount", "currency"}`` | 201, the order, with ``Location`` |
| ``GET /orders/{id}`` | 200, the order, placed or cancelled; 404 when unknown |
| ``POST /orders/{id}/cancel`` | 200, the cancelled order; 409 if it was already; 404 when unknown |
| ``GET /status`` | 200, outbox backlog and relay state |

Writes need ``Authorization: Bearer <token>`` (401 without, 403 with a wrong
one); reads too unless ``open_reads``. Every error is JSON: ``{"status",
"error", "message"}``; a 422 adds ``"errors"``, one message per bad field.
A placement for a customer the Customer service does not know is a 422; one
it cannot check (the Customer service down, slow or failing) a 503 with
``Retry-After``, and nothing is written.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web

from infrastructure.bearer_auth import bearer_auth
from infrastructure.json_bodies import json_answer, read_json_with_decimals
from infrastructure.json_errors import Handler, json_error, json_errors
from infrastructure.outbox_relay import RelayState
from infrastructure.relay_status import status_json
from infrastructure.timestamps import rfc3339
from orders_service.customer_directory import CustomerCheckUnavailable, CustomerDirectory
from orders_service.order import Order, ValidationFailed, amount_text, validate_new_order
from orders_service.order_store import AlreadyCancelled, OrderNotFound, OrderStore
from orders_service.outbox import OUTBOX
from orders_service.settings import Settings

logger = logging.getLogger(__name__)

STORE: Final = web.AppKey("store", OrderStore)
SETTINGS: Final = web.AppKey("settings", Settings)
RELAY_STATE: Final = web.AppKey("relay_state", RelayState)
CUSTOMERS: Final = web.AppKey("customers", CustomerDirectory)
UNKNOWN_CUSTOMER: Final = "is not a customer of the Customer service"


def create_api(
    settings: Settings,
    store: OrderStore,
    relay_state: RelayState,
    customers: CustomerDirectory,
) -> web.Application:
    """The web application; the caller owns the database, relay and directory behind it."""
    app = web.Application(
        middlewares=[
            json_errors(logger, "the service's log"),
            _order_errors,
            bearer_auth(settings.token, "orders-service", settings.open_reads),
        ]
    )
    app[SETTINGS] = settings
    app[STORE] = store
    app[RELAY_STATE] = relay_state
    app[CUSTOMERS] = customers
    app.router.add_post("/orders", place_order)
    app.router.add_get("/orders/{order_id}", get_order)
    app.router.add_post("/orders/{order_id}/cancel", cancel_order)
    app.router.add_get("/status", status)
    return app


async def place_order(request: web.Request) -> web.Response:
    new = validate_new_order(await read_json_with_decimals(request))
    # Checked before the transaction: a slow Customer service must not hold
    # the database's write lock.
    if not await request.app[CUSTOMERS].exists(new.customer_id):
        raise ValidationFailed({"customer_id": UNKNOWN_CUSTOMER})
    order = await request.app[STORE].place(new)
    return json_answer(
        order_json(order), status=201, headers={"Location": f"/orders/{order.order_id}"}
    )


async def get_order(request: web.Request) -> web.Response:
    order = await request.app[STORE].get(request.match_info["order_id"])
    return json_answer(order_json(order))


async def cancel_order(request: web.Request) -> web.Response:
    order = await request.app[STORE].cancel(request.match_info["order_id"])
    return json_answer(order_json(order))


async def status(request: web.Request) -> web.Response:
    backlog = await OUTBOX.status(request.app[STORE].database)
    return json_answer(status_json(backlog, request.app[RELAY_STATE]))


def order_json(order: Order) -> dict[str, Any]:
    """An order as the API returns it; ``amount`` a decimal string, as in the events."""
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "amount": amount_text(order.amount),
        "currency": order.currency,
        "status": order.status,
        "version": order.version,
        "placed_at": rfc3339(order.placed_at),
        "updated_at": rfc3339(order.updated_at),
    }


@web.middleware
async def _order_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The service's own errors as JSON: 422, 404, 409, and 503 when no customer check is possible.

    HTTP errors and crashes are answered by :func:`~infrastructure.json_errors.json_errors`.
    """
    try:
        return await handler(request)
    except ValidationFailed as exc:
        fields = ", ".join(exc.errors)
        return json_error(HTTPStatus.UNPROCESSABLE_ENTITY, f"invalid: {fields}", errors=exc.errors)
    except OrderNotFound as exc:
        return json_error(HTTPStatus.NOT_FOUND, f"no order {exc.args[0]!r}")
    except AlreadyCancelled as exc:
        order: Order = exc.args[0]
        return json_error(HTTPStatus.CONFLICT, f"order {order.order_id!r} is cancelled already")
    except CustomerCheckUnavailable as exc:
        logger.warning("order refused: %s", exc)
        retry_after = request.app[SETTINGS].retry_after
        return json_error(
            HTTPStatus.SERVICE_UNAVAILABLE,
            f"cannot check the customer now ({exc}); nothing was written, retry later",
            headers={"Retry-After": str(retry_after)},
        )
