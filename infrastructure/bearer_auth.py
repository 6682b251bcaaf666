"""Bearer-token checks for a service's API: ``Authorization: Bearer <token>``.

Both services guard their writes this way (and their reads unless reads are
open): ``401`` with ``WWW-Authenticate: Bearer realm=...`` when the header is
missing or not a bearer token, ``403`` when the token is not the service's.
The comparison takes the same time whatever the token, so timing tells an
attacker nothing about how much of a guess was right.
"""

from __future__ import annotations

import hmac
from http import HTTPStatus
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from infrastructure.json_errors import Handler, json_error

WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bearer_auth(token: str, realm: str, open_reads: bool) -> Middleware:
    """A middleware that lets a request through only with ``token``.

    Writes (:data:`WRITE_METHODS`) always need it; other methods only when
    ``open_reads`` is false. ``realm`` names the service in the 401's
    ``WWW-Authenticate`` header.
    """
    expected = token.encode()
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}"'}

    @web.middleware
    async def check_bearer_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in WRITE_METHODS or not open_reads:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not given.strip():
                return json_error(
                    HTTPStatus.UNAUTHORIZED,
                    "this request needs 'Authorization: Bearer <token>'",
                    headers=challenge,
                )
            if not hmac.compare_digest(given.strip().encode(), expected):
                return json_error(
                    HTTPStatus.FORBIDDEN, "the bearer token is not valid for this service"
                )
        return await handler(request)

    return check_bearer_token
