"""The OpenAPI document against the routes the web server really has, and its answers."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import schemathesis
from schemathesis.core.result import Ok

from app.factory import Olf
from app.web.http_policy import web_application
from app.web.openapi import DOCUMENT, OPENAPI_PATH, PATHS, query_parameters
from tests.web_client import serve

# Faust adds HEAD to every GET view, aiohttp-cors OPTIONS for preflights.
IMPLIED_METHODS = {"HEAD", "OPTIONS"}


def documented_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in PATHS.items() for method in item}


def registered_routes(olf: Olf) -> set[tuple[str, str]]:
    olf.app.web.init_server()  # what a worker adds when its web server starts
    return {
        (route.method, route.resource.canonical)
        for route in web_application(olf.app).router.routes()
        if route.resource is not None
    }


def response_validator(path: str, status: int) -> jsonschema.Draft202012Validator:
    """Validates a JSON body against the documented response of ``path`` and ``status``."""
    response = PATHS[path]["get"]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator(
        {**schema, "components": DOCUMENT["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


@pytest.mark.parametrize("cors_origins", ["", "*"])
def test_every_route_is_documented_and_every_documented_route_exists(
    olf_factory: Any, cors_origins: str
) -> None:
    routes = registered_routes(olf_factory(cors_origins=cors_origins))
    assert {route for route in routes if route[0] not in IMPLIED_METHODS} == (
        documented_operations()
    )
    assert {path for method, path in routes if method in IMPLIED_METHODS} <= set(PATHS)


def test_faust_table_router_and_placeholder_views_are_not_served(olf: Olf) -> None:
    paths = {path for _, path in registered_routes(olf)}
    assert not any(path.startswith(("/table", "/router")) for path in paths)
    assert ("GET", "/") in registered_routes(olf)  # the dashboard's, see the next test


async def test_root_is_the_dashboard_not_fausts_placeholder(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get("/")
        assert response.content_type == "text/html"


def references(node: Any) -> list[str]:
    """Every ``$ref`` in a JSON document."""
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


def test_component_schemas_are_valid_json_schemas_and_references_resolve() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    found = references(DOCUMENT)
    assert found, "the document is expected to share schemas through references"
    for ref in found:
        prefix, _, name = ref.rpartition("/")
        assert prefix == "#/components/schemas", ref
        assert name in schemas, f"{ref} does not resolve"


def test_schemathesis_reads_every_operation() -> None:
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), [r for r in results if not isinstance(r, Ok)]
    assert {(op.method.upper(), op.path) for op in operations} == documented_operations()


def test_query_parameters_come_from_the_document() -> None:
    assert query_parameters("/api/stats/timeseries") == frozenset({"metric", "window"})
    assert query_parameters("/api/stream") == frozenset()
    assert query_parameters("/api/internal/reports") == frozenset({"known"})
    assert query_parameters("/not/documented") is None


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/api/stats/summary", "", 200),
        ("/api/stats/customers", "?by=segment", 200),
        ("/api/stats/customers", "?by=city", 400),
        ("/api/stats/timeseries", "?metric=signups&window=1h", 200),
        ("/api/stats/timeseries", "?metric=signups&window=5m", 400),
        ("/api/stats/orders", "?by=segment", 200),
        ("/api/stats/orders", "?by=status", 400),
        ("/api/stats/timeseries", "?metric=revenue.EUR&window=1m", 200),
        ("/api/stats/timeseries", "?metric=orders.XYZ&window=1h", 200),
        ("/api/stats/timeseries", "?metric=revenue&window=1m", 400),
        ("/api/stats/timeseries", "?metric=revenue.eur&window=1m", 400),
        ("/api/customers/{customer_id}", "", 404),
        ("/api/health", "", 200),
        ("/api/health", "?x=1", 400),
        ("/api/ready", "", 503),
        ("/api/internal/reports", "", 200),
        ("/api/internal/reports", "?known=0:1f2e3d:7,3:1f2e3d:1", 200),
        ("/api/internal/reports", "?known=0:1f2e3d", 400),
        (OPENAPI_PATH, "", 200),
    ],
)
async def test_answers_match_their_documented_schema(
    olf: Olf, path: str, query: str, status: int
) -> None:
    url = path.replace("{customer_id}", "nobody") + query
    async with serve(olf) as client:
        response = await client.get(url)
        assert response.status == status
        assert response.content_type == "application/json"
        response_validator(path, status).validate(await response.json())


async def test_the_document_is_served(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get(OPENAPI_PATH)
        assert await response.json() == DOCUMENT
