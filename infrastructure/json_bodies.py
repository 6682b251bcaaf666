"""JSON request and answer bodies of the services' APIs.

Answers are ``application/json`` without a ``charset`` (JSON is UTF-8, RFC
8259). A request body that is not JSON is a ``400`` (a JSON error, through
:func:`infrastructure.json_errors.json_errors`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

import orjson
from aiohttp import web

NOT_JSON = "the request body must be JSON"


def json_answer(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """``body`` serialized with orjson (which writes no ``Decimal``: pass amounts as strings)."""
    return web.Response(
        body=orjson.dumps(body), status=status, headers=headers, content_type="application/json"
    )


async def read_json(request: web.Request) -> object:
    """The request's body decoded.

    Raises:
        web.HTTPBadRequest: the body is not JSON.
    """
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise web.HTTPBadRequest(text=NOT_JSON) from None


async def read_json_with_decimals(request: web.Request) -> object:
    """The request's body decoded, every JSON number with a fraction or exponent a ``Decimal``.

    For money: ``12.1`` arrives as ``Decimal("12.1")``, never through a float
    (orjson has no such option). Integers stay ``int``; ``NaN`` and
    ``Infinity``, which JSON does not have, are refused.

    Raises:
        web.HTTPBadRequest: the body is not JSON (UTF-8).
    """

    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")

    try:
        return json.loads(await request.read(), parse_float=Decimal, parse_constant=refuse)
    except (ValueError, UnicodeDecodeError):  # json.JSONDecodeError is a ValueError
        raise web.HTTPBadRequest(text=NOT_JSON) from None
