"""Rules every HTTP answer of OLF follows, whichever route serves it.

* Errors are JSON (:mod:`infrastructure.json_errors`, as in the Customer service):
  unknown paths 404, other methods 405 (with ``Allow``), unexpected failures
  500 (and a logged traceback).
  Requests aiohttp's HTTP parser rejects (malformed or oversized) are a 400
  whose message never quotes the request, logged in one INFO line
  (:mod:`app.workarounds.parser_errors`: they never reach a middleware).
* A query parameter that the route's OpenAPI description does not name, or
  one given twice, is answered with 400: a typo never silently means default.
* ``Cache-Control``: ``no-cache`` on the statistics (set by their views, which
  answer ``If-None-Match`` with 304) and the dashboard's static files
  (revalidated, never stale); ``no-store`` on everything else.
* CORS for GETs from the origins of ``OLF_CORS_ORIGINS``, through the
  aiohttp-cors support of Faust's web driver (:func:`cors_options`).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Final, cast

import faust
from aiohttp import web
from faust.web import ResourceOptions
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from app.web.openapi import query_parameters
from app.workarounds import parser_errors
from infrastructure.json_errors import Handler, json_error, json_errors

log = logging.getLogger(__name__)

STATIC_PREFIX: Final = "/static"
#: Seconds browsers may cache a CORS preflight answer.
CORS_MAX_AGE: Final = 600


def query_problem(request: web.Request) -> str | None:
    """Why the request's query parameters are not acceptable for its route, if they are not."""
    resource = request.match_info.route.resource
    if resource is None:  # no route matched: the handler answers 404 or 405
        return None
    allowed = query_parameters(resource.canonical)
    if allowed is None:
        return None
    unknown = sorted(set(request.query) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        names = ", ".join(repr(name) for name in unknown)
        return f"unknown query parameter {names}; this path accepts: {accepted}"
    for name in sorted(allowed):
        if len(request.query.getall(name, [])) > 1:
            return f"'{name}' given more than once"
    return None


@web.middleware
async def check_query(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 400 to a query parameter the route does not take, or one given twice."""
    problem = query_problem(request)
    if problem is not None:
        return json_error(HTTPStatus.BAD_REQUEST, problem)
    return await handler(request)


async def set_cache_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Runs as every response (streams too) is about to send its headers."""
    static = request.path.startswith(STATIC_PREFIX + "/")
    response.headers.setdefault("Cache-Control", "no-cache" if static else "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


def cors_options(origins: tuple[str, ...]) -> dict[str, ResourceOptions]:
    """Faust's ``web_cors_options`` for read-only GETs from ``origins`` ("*": any).

    No origins: no CORS headers at all, so browsers keep pages of other
    origins from reading OLF's answers.
    """
    options = ResourceOptions(
        allow_credentials=False,
        expose_headers=(),
        allow_headers=("Last-Event-ID",),
        max_age=CORS_MAX_AGE,
        allow_methods=("GET",),
    )
    return dict.fromkeys(origins, options)


def web_application(app: faust.App) -> web.Application:
    """The aiohttp application behind ``app``'s web server (Faust's default driver)."""
    return cast(AiohttpWeb, app.web).web_app


def install_http_policy(app: faust.App) -> None:
    """Apply the rules to every route of ``app``'s web server."""
    web_app = web_application(app)
    web_app.middlewares.append(json_errors(log, "the worker log"))
    web_app.middlewares.append(check_query)
    web_app.on_response_prepare.append(set_cache_headers)
    parser_errors.install(cast(AiohttpWeb, app.web))
