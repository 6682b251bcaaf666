"""Only workers call ``/api/internal/``: they prove it with a shared secret.

The internal API returns single customers' states and raw partition reports,
and is meant for the fan-out of :mod:`app.queries.cluster` only. With
``OLF_INTERNAL_TOKEN`` set, every worker sends ``Authorization: Bearer
<token>`` to its peers and answers internal requests without it with 401.
Without a token a worker refuses to bind beyond loopback (see
:class:`app.settings.Settings`), so an open internal API is reachable from
its own machine only.
"""

from __future__ import annotations

import hmac
from http import HTTPStatus
from typing import Final

import faust
from aiohttp import web
from aiohttp.typedefs import Middleware

from app.queries.cluster import authorization
from app.web.http_policy import web_application
from infrastructure.json_errors import Handler, json_error

INTERNAL_PREFIX: Final = "/api/internal/"


def is_internal(request: web.Request) -> bool:
    """Whether the request matched a route of the internal API.

    The matched route, not the path as sent: what aiohttp routes is what counts.
    """
    resource = request.match_info.route.resource
    return resource is not None and resource.canonical.startswith(INTERNAL_PREFIX)


def require_token(token: str) -> Middleware:
    """A middleware answering internal requests without ``token`` with a JSON 401."""
    expected = authorization(token)["Authorization"].encode()

    @web.middleware
    async def internal_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_internal(request):
            sent = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(sent, expected):
                return json_error(
                    HTTPStatus.UNAUTHORIZED,
                    "the internal API answers OLF workers only (OLF_INTERNAL_TOKEN)",
                    {"WWW-Authenticate": "Bearer"},
                )
        return await handler(request)

    return internal_auth


def install_internal_auth(app: faust.App, token: str) -> None:
    """Guard ``app``'s internal API with ``token``; no token: leave it open (loopback only)."""
    if token:
        web_application(app).middlewares.append(require_token(token))
