"""JSON answers, without tracebacks, to requests aiohttp's HTTP parser rejects.

A workaround for aiohttp 3.14 behind faust-streaming 0.15's web driver. A
request that aiohttp's parser rejects (a URL or header line over 8190 bytes,
more than 128 headers, a byte a URL may not hold, an unknown method,
``Content-Length`` beside ``Transfer-Encoding``, ...) never reaches a
middleware: aiohttp's ``RequestHandler.handle_error`` answers it with a
plain-text 400 whose body is the parser's message, which quotes the input,
and logs that exception with its traceback at ERROR (logger
``aiohttp.server``; an unknown method in a connection's first request only
at DEBUG), once per request. So anyone who reaches the port gets their input
reflected and can fill the log with tracebacks; and the answer breaks OLF's
rule that every error is JSON (:mod:`app.web.http_policy`).

No setting changes either: the body and the log call are in ``handle_error``,
the handler class is fixed in aiohttp's ``Server``, which ``AppRunner``
builds, which Faust's ``Web`` driver creates in its constructor
(``Web._runner``, used by ``start_server`` and ``stop_server``).
:func:`install` replaces that runner, before the server starts, by a
:class:`JsonErrorAppRunner`, whose connections are served by
:class:`JsonErrorRequestHandler`: the status aiohttp chose, OLF's JSON error
body with a short message of OLF's own (never the input), and one INFO line.
The other errors aiohttp answers itself (a handler's timeout, 504; an
exception that escapes the middleware, 500) keep aiohttp's logging and get
the JSON body too.

``tests/unit/test_parser_errors.py`` sends the same bad requests to a plain
aiohttp server and to OLF's, so it tells when aiohttp changes either.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMethod,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
)
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from infrastructure.json_errors import json_error

#: OLF's message per kind of parse error, most specific kind first. The
#: parser's own messages quote the request, so none of them is passed on.
PARSE_ERROR_MESSAGES: Final[tuple[tuple[type[HttpProcessingError], str], ...]] = (
    (LineTooLong, "the request line or a header is too long"),
    (BadHttpMethod, "unknown or malformed method"),
    (BadStatusLine, "malformed request line"),
    (InvalidURLError, "malformed URL"),
    (InvalidHeader, "malformed header"),
)
#: aiohttp's message when a request has more than ``max_headers`` headers (no input in it).
TOO_MANY_HEADERS: Final = "Too many headers received"
#: For every other parse error (e.g. Content-Length with Transfer-Encoding).
NOT_HTTP: Final = "the request is not valid HTTP/1.1"
#: Messages of the other errors aiohttp answers itself; by default the status's phrase.
OTHER_ERROR_MESSAGES: Final = {500: "internal error; see the worker log"}


def parse_error_message(exc: HttpProcessingError, max_headers: int) -> str:
    """A short description of why the parser rejected a request, without its input."""
    if exc.message == TOO_MANY_HEADERS:
        return f"more than {max_headers} headers"
    for kind, message in PARSE_ERROR_MESSAGES:
        if isinstance(exc, kind):
            return message
    return NOT_HTTP


class JsonErrorRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering the errors it answers itself in JSON."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, HttpProcessingError):  # the parser rejected the request
            text = parse_error_message(exc, self.max_headers)
            self.logger.info("Rejected a request from %s: %d %s", request.remote, status, text)
        else:
            # aiohttp's own logging (a traceback for a 500) and its check that
            # nothing was sent yet; only its answer is replaced.
            super().handle_error(request, status, exc, message)
            text = OTHER_ERROR_MESSAGES.get(status, HTTPStatus(status).phrase)
        response = json_error(
            HTTPStatus(status),
            text,
            # What app.web.http_policy sets on every other answer (its hook never sees this one).
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
        response.force_close()  # as aiohttp does: the connection's state is unknown
        return response


class JsonErrorServer(web.Server):
    """aiohttp's low-level server, with :class:`JsonErrorRequestHandler` per connection."""

    def __call__(self) -> web.RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorAppRunner(web.AppRunner):
    """An ``AppRunner`` whose server is a :class:`JsonErrorServer`."""

    async def _make_server(self) -> web.Server:
        # aiohttp's server for the application (startup signals, handler
        # arguments), rebuilt as a JsonErrorServer before it serves anything.
        server = await super()._make_server()
        return JsonErrorServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )


def install(web_driver: AiohttpWeb) -> None:
    """Serve ``web_driver``'s connections with :class:`JsonErrorRequestHandler`.

    Call before the web server starts: Faust's driver made its runner, not
    yet set up, in its constructor.
    """
    # Faust's driver makes its runner with the access log off; so does OLF's.
    web_driver._runner = JsonErrorAppRunner(web_driver.web_app, access_log=None)
