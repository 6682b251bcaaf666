"""``GET /api/openapi.json``: the OpenAPI 3.1 description of every route OLF serves.

Written by hand, from the same constants the views check, so enumerations
cannot drift. It is also the source of which query parameters each route
accepts (:func:`query_parameters`); :mod:`app.web.http_policy` answers any other
with 400. ``tests/unit/test_openapi.py`` compares it with the registered
routes; ``tests/integration/test_openapi_fuzz.py`` fuzzes a live worker with it.
"""

from __future__ import annotations

from typing import Any, Final

import faust
from faust.web import Request, Response, View

from models.customer_event import SEGMENTS, STATUSES
from models.event_window import METRICS, ORDER_SERIES, WINDOW_SIZES
from models.partition_stats import DIMENSIONS, ORDER_DIMENSIONS

OPENAPI_PATH: Final = "/api/openapi.json"

JSON: Final = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": schema}}


def error(description: str) -> dict[str, Any]:
    return {"description": description, "content": json_content(ref("Error"))}


def query(name: str, description: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description}


def enum(values: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def operation(
    summary: str,
    ok: dict[str, Any],
    *,
    tag: str,
    parameters: tuple[dict[str, Any], ...] = (),
    errors: dict[str, str] | None = None,
    revalidated: bool = False,
) -> dict[str, Any]:
    """One GET operation; every operation answers 400 to unknown query parameters.

    ``revalidated``: the answer has an ETag, and ``If-None-Match`` naming it gets a 304.
    """
    responses: dict[str, Any] = {"200": ok}
    problems = {"400": "Unknown query parameter, or a bad value", **(errors or {})}
    responses.update({status: error(text) for status, text in sorted(problems.items())})
    if revalidated:
        etag = {"ETag": {"description": "the answer's entity tag", "schema": {"type": "string"}}}
        responses["200"] = ok | {"headers": etag}
        responses["304"] = {"description": "The answer is the one If-None-Match names"}
        parameters = (*parameters, IF_NONE_MATCH)
    return {
        "get": {
            "summary": summary,
            "tags": [tag],
            "parameters": list(parameters),
            "responses": responses,
        }
    }


def ok_json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": json_content(schema)}


def ok_text(description: str, media_type: str) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


def count(minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum}


def strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these properties."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def points() -> dict[str, Any]:
    return {"type": "array", "items": {"oneOf": [ref("Point"), ref("AmountPoint")]}}


def by_currency(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"pattern": "^[A-Z]{3}$"},
        "additionalProperties": schema,
    }


#: The order series in a snapshot and the time series endpoint, per currency.
ORDER_SERIES_PATTERN: Final = f"^{ORDER_SERIES.pattern}$"
#: A series' name: a customer metric or an order series.
SERIES_NAME: Final = {"anyOf": [enum(METRICS), {"type": "string", "pattern": ORDER_SERIES_PATTERN}]}


SCHEMAS: Final[dict[str, Any]] = {
    "Error": strict_object(
        {
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "error": {"type": "string", "description": "the status's reason phrase"},
            "message": {"type": "string", "description": "what is wrong, for people"},
        }
    ),
    "AsOf": strict_object(
        {
            "newest_event_time": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "time of the newest applied change (not snapshot); null before any",
            },
            "lag": count() | {"description": "messages not yet processed"},
            "partitions_covered": count(),
            "partitions_total": count(1),
            "complete": {
                "type": "boolean",
                "description": "false while partitions are not covered (rebalancing)",
            },
        }
    ),
    "Counts": {
        "type": "object",
        "description": "customers per bucket; empty buckets are left out",
        "additionalProperties": count(1),
    },
    "Point": strict_object(
        {
            "start": {"type": "string", "format": "date-time"},
            "count": {
                "type": "integer",
                "description": "events in the window: at least 1 for customer series; an"
                " order series counts what its events changed, so a later version that moved"
                " an order to another currency takes one away in that window",
            },
        }
    ),
    "AmountPoint": strict_object(
        {
            "start": {"type": "string", "format": "date-time"},
            "amount": ref("Amount"),
        }
    ),
    "Amount": {
        "type": "string",
        "pattern": r"^-?[0-9]+\.[0-9]{2,4}$",
        "description": "an exact decimal amount in the currency's unit; negative for"
        " windows with more cancelled than placed",
    },
    "OrderFigures": strict_object(
        {
            "placed": count(1) | {"description": "orders placed (cancelled ones too)"},
            "revenue": ref("Amount") | {"description": "amounts of orders not cancelled"},
        }
    ),
    "OrderTotals": by_currency(ref("OrderFigures")),
    "OrderBuckets": {
        "type": "object",
        "description": "per bucket (the customer's current attribute, or 'unknown'), per currency",
        "additionalProperties": ref("OrderTotals"),
    },
    "OrderCounts": strict_object(
        {
            "by": enum(ORDER_DIMENSIONS),
            "orders": ref("OrderBuckets"),
            "totals": ref("OrderTotals"),
            "as_of": ref("AsOf"),
        }
    ),
    "CustomersTotal": strict_object({"total": count()}),
    "EventCounts": strict_object({"applied": count(), "duplicates": count(), "rejected": count()}),
    "Summary": strict_object(
        {
            "customers": ref("CustomersTotal"),
            "events": ref("EventCounts"),
            "orders": ref("OrderTotals"),
            "order_events": ref("EventCounts"),
            "as_of": ref("AsOf"),
        }
    ),
    "CustomerCounts": strict_object(
        {
            "by": enum(DIMENSIONS),
            "counts": ref("Counts"),
            "total": count(),
            "as_of": ref("AsOf"),
        }
    ),
    "TimeSeries": strict_object(
        {
            "metric": SERIES_NAME,
            "window": enum(tuple(WINDOW_SIZES)),
            "points": points(),
            "as_of": ref("AsOf"),
        }
    ),
    "Customer": strict_object(
        {
            "customer_id": {"type": "string"},
            "version": count(1),
            "customer": strict_object(
                {
                    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                    "segment": enum(SEGMENTS),
                    "status": enum(STATUSES),
                }
            ),
        }
    ),
    "Snapshot": strict_object(
        {
            "summary": strict_object(
                {
                    "customers": ref("CustomersTotal"),
                    "events": ref("EventCounts"),
                    "orders": ref("OrderTotals"),
                    "order_events": ref("EventCounts"),
                }
            ),
            "counts": strict_object({dimension: ref("Counts") for dimension in DIMENSIONS}),
            "orders": strict_object(
                {dimension: ref("OrderBuckets") for dimension in ORDER_DIMENSIONS}
            ),
            "timeseries": strict_object({metric: points() for metric in METRICS})
            | {"patternProperties": {ORDER_SERIES_PATTERN: points()}},
            "as_of": ref("AsOf"),
        }
    ),
    "Health": strict_object({"status": {"const": "ok"}}),
    "Ready": strict_object(
        {
            "status": {"const": "ready"},
            "partitions": {
                "type": "array",
                "items": count(),
                "description": "input partitions this worker processes",
            },
        }
    ),
    "InternalReports": strict_object(
        {
            "partitions": {
                "type": "object",
                "description": "per partition reported: stats, lag and changed windows",
                "additionalProperties": {"type": "object"},
            }
        }
    ),
    "InternalCustomer": strict_object({"state": {"type": "object"}}),
}

IF_NONE_MATCH: Final = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "the ETag of an answer the client holds: 304 while it is still current",
    "schema": {"type": "string"},
}

CUSTOMER_ID: Final = path_parameter("customer_id", "the customer's id") | {
    "schema": {"type": "string", "minLength": 1}
}

STREAM_DESCRIPTION: Final = """\
Server-Sent Events. The first event is always `event: snapshot` with a
`Snapshot` as data; then `event: delta` events carry only the changed parts
(same shape, each part replaces the one of the same section and name), at
most two per second. Ids increase by one per change. A reconnecting client
(`Last-Event-ID`) gets a fresh snapshot first. Comments (`: heartbeat`) come
after 15 s without an event."""

#: Answered by a worker with OLF_INTERNAL_TOKEN set to callers without it.
INTERNAL_ERRORS: Final = {"401": "Not a worker: the internal token is missing or wrong"}

PATHS: Final[dict[str, Any]] = {
    "/": operation(
        "The live dashboard (HTML)", ok_text("The dashboard page", "text/html"), tag="dashboard"
    ),
    "/static/{name}": operation(
        "The dashboard's script, style sheet and page",
        {"description": "The file", "content": {"*/*": {"schema": {"type": "string"}}}},
        tag="dashboard",
        parameters=(path_parameter("name", "file name") | {"schema": {"type": "string"}},),
        errors={"404": "No such file"},
    ),
    "/api/stats/summary": operation(
        "Customers and processed messages, from all workers",
        ok_json("The summary", ref("Summary")),
        tag="stats",
        revalidated=True,
    ),
    "/api/stats/customers": operation(
        "Customers counted by one dimension, from all workers",
        ok_json("The counts", ref("CustomerCounts")),
        tag="stats",
        parameters=(query("by", "dimension to count by", enum(DIMENSIONS), True),),
        revalidated=True,
    ),
    "/api/stats/orders": operation(
        "Orders and revenue per currency, by the customer's current country or segment",
        ok_json("The orders", ref("OrderCounts")),
        tag="stats",
        parameters=(query("by", "dimension to count by", enum(ORDER_DIMENSIONS), True),),
        revalidated=True,
    ),
    "/api/stats/timeseries": operation(
        "Applied events (or revenue) per event-time window, windows with events only",
        ok_json("The series", ref("TimeSeries")),
        tag="stats",
        parameters=(
            query(
                "metric",
                "which events: a customer metric, or orders.<currency>, revenue.<currency>"
                " (ISO 4217; empty for a currency without orders)",
                SERIES_NAME,
                True,
            ),
            query("window", "window size", enum(tuple(WINDOW_SIZES)), True),
        ),
        revalidated=True,
    ),
    "/api/customers/{customer_id}": operation(
        "One customer's counted attributes",
        ok_json("The customer", ref("Customer")),
        tag="stats",
        parameters=(CUSTOMER_ID,),
        errors={"404": "Unknown or deleted customer"},
    ),
    "/api/stream": operation(
        "Live statistics as Server-Sent Events",
        ok_text(STREAM_DESCRIPTION, "text/event-stream"),
        tag="stats",
        parameters=(
            {
                "name": "Last-Event-ID",
                "in": "header",
                "required": False,
                "description": "sent by reconnecting browsers; answered with a snapshot",
                "schema": {"type": "string"},
            },
        ),
        errors={
            "503": "The worker is shutting down, or streams to OLF_STREAM_MAX_CLIENTS"
            " clients already (Retry-After)"
        },
    ),
    "/api/health": operation(
        "Liveness: 200 while the process serves HTTP",
        ok_json("Alive", ref("Health")),
        tag="operations",
    ),
    "/api/ready": operation(
        "Readiness: 200 once the worker joined its group and recovered its tables",
        ok_json("Ready", ref("Ready")),
        tag="operations",
        errors={"503": "Not ready: starting, rebalancing or recovering"},
    ),
    "/metrics": operation(
        "Prometheus metrics of this worker",
        ok_text("Prometheus text format", "text/plain"),
        tag="operations",
    ),
    OPENAPI_PATH: operation(
        "This document",
        ok_json("OpenAPI 3.1", {"type": "object"}),
        tag="operations",
    ),
    "/api/internal/reports": operation(
        "Worker to worker: updates of the reports of the partitions this worker owns",
        ok_json("Per partition, what the caller's copy lacks", ref("InternalReports")),
        tag="internal",
        errors=INTERNAL_ERRORS,
        parameters=(
            query(
                "known",
                "the caller's copies, as <partition>:<source>:<revision>, comma-separated",
                {"type": "string", "pattern": r"^([0-9]+:[^:,]*:[0-9]+(,[0-9]+:[^:,]*:[0-9]+)*)?$"},
                False,
            ),
        ),
    ),
    "/api/internal/customers/{customer_id}": operation(
        "Worker to worker: a customer's state on this worker",
        ok_json("The state", ref("InternalCustomer")),
        tag="internal",
        parameters=(CUSTOMER_ID,),
        errors={"404": "Not on this worker", **INTERNAL_ERRORS},
    ),
}

DOCUMENT: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {
        "title": "OLF",
        "version": "1",
        "description": (
            "Live customer statistics from Kafka events. Every worker answers for all "
            "partitions. GET only; HEAD is answered wherever GET is. Errors are JSON "
            "`Error` objects; unknown paths answer 404, other methods 405."
        ),
    },
    "tags": [
        {"name": "stats", "description": "statistics of all workers"},
        {"name": "dashboard", "description": "the page and its assets"},
        {"name": "operations", "description": "for orchestrators and monitoring"},
        {"name": "internal", "description": "between workers; not a public API"},
    ],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS},
}


def query_parameters(path: str) -> frozenset[str] | None:
    """Names of the query parameters route ``path`` accepts; None if it is not described."""
    return QUERY_PARAMETERS.get(path)


#: Read once: every request's query is checked against its route's names.
QUERY_PARAMETERS: Final = {
    path: frozenset(p["name"] for p in described["get"]["parameters"] if p["in"] == "query")
    for path, described in PATHS.items()
}


def declare_openapi(app: faust.App) -> None:
    """Register ``GET /api/openapi.json``."""

    @app.page(OPENAPI_PATH)
    class OpenApi(View):
        async def get(self, request: Request) -> Response:
            return self.json(DOCUMENT)
