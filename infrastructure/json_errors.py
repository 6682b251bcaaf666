"""JSON error answers, the same in both services: ``{"status", "error", "message"}``.

``status`` is the HTTP status code, ``error`` its phrase and ``message`` says
what went wrong in words a client can act on. :func:`json_errors` turns every
error a handler raises into such an answer: aiohttp's HTTP errors (an unknown
path, another method, a bad request) and, with a logged traceback, failures
nobody expected. A service's own errors (validation, unknown customers, bad
query parameters) are answered by its own middleware inside this one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_body(status: HTTPStatus, message: str) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"status": status.value, "error": status.phrase, "message": message}


def json_error(
    status: HTTPStatus, message: str, headers: Mapping[str, str] | None = None, **extra: object
) -> web.Response:
    """An error answer; ``extra`` adds fields to the body (e.g. a 422's ``errors``).

    Content type ``application/json`` with no ``charset``: JSON is UTF-8 (RFC 8259).
    """
    return web.Response(
        body=orjson.dumps({**error_body(status, message), **extra}),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def http_error_message(request: web.Request, exc: web.HTTPException) -> str:
    """What an aiohttp HTTP error answers in words.

    The text a handler gave (``HTTPBadRequest(text=...)``) as it is. Without
    one, aiohttp's text is ``"<status>: <reason>"``, which says nothing the
    ``status`` and ``error`` fields do not; an unknown path and another method
    then name the path and the allowed methods, and any other error its reason.
    """
    if exc.text and exc.text != f"{exc.status}: {exc.reason}":
        return exc.text
    if exc.status == HTTPStatus.NOT_FOUND:
        return f"no such path: {request.path}"
    if exc.status == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = exc.headers.get("Allow", "")
        return f"method {request.method} is not allowed here; allowed: {allowed}"
    return exc.reason


def json_errors(log: logging.Logger, log_hint: str) -> Middleware:
    """A middleware answering HTTP errors and unexpected failures with JSON.

    Redirects (status < 400) pass through: they are answers, not errors. An
    error's ``Allow`` header (a 405's) is kept. An unexpected exception is
    logged with its traceback on ``log`` and answered 500, ``log_hint``
    telling the client where that log is (e.g. "the worker log").
    """

    @web.middleware
    async def answer_errors_in_json(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            allow = exc.headers.get("Allow")
            headers = None if allow is None else {"Allow": allow}
            return json_error(HTTPStatus(exc.status), http_error_message(request, exc), headers)
        except Exception:
            log.exception("Failed to answer %s %s", request.method, request.path)
            return json_error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error; see {log_hint}")

    return answer_errors_in_json
