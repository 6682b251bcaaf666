"""Requests aiohttp's HTTP parser rejects: aiohttp's own answer beside OLF's.

Raw requests over a socket to a server on 127.0.0.1: a plain aiohttp
``AppRunner`` (what Faust's web driver runs) answers in plain text quoting
the request and logs a traceback; OLF's worker (see
:mod:`app.workarounds.parser_errors`) answers JSON and logs one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import cast

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from app.factory import Olf
from app.workarounds.parser_errors import JsonErrorAppRunner

WAIT = 5.0


@dataclass(frozen=True)
class BadRequest:
    name: str
    raw: bytes
    #: Bytes of the request that aiohttp's answer repeats (None: it repeats nothing).
    quoted: bytes | None
    #: OLF's message for it.
    message: str
    #: aiohttp logs it at ERROR with a traceback (an unknown method only at DEBUG).
    traceback: bool = True


def get(target: bytes, headers: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: olf\r\n" + headers + b"\r\n"


BAD_REQUESTS = [
    BadRequest(
        "a 100 KB URL",
        get(b"/" + b"u" * 100_000),
        quoted=b"uuuuuuuuuu",
        message="the request line or a header is too long",
    ),
    BadRequest(
        "a 100 KB header",
        get(b"/", b"X-Long: " + b"h" * 100_000 + b"\r\n"),
        quoted=b"hhhhhhhhhh",
        message="the request line or a header is too long",
    ),
    BadRequest(
        "2,000 headers",
        get(b"/", b"".join(b"X-Header-%d: v\r\n" % number for number in range(2000))),
        quoted=None,
        message="more than 128 headers",
    ),
    BadRequest(
        "invalid UTF-8 in the URL",
        get(b"/secret-\xff\xfe"),
        quoted=b"secret-",
        message="malformed URL",
    ),
    BadRequest(
        "an unknown method",
        b"BREW /pot HTTP/1.1\r\nHost: olf\r\n\r\n",
        quoted=b"BREW",
        message="unknown or malformed method",
        traceback=False,
    ),
    BadRequest(
        "Content-Length with Transfer-Encoding",
        b"POST /api/stats/summary HTTP/1.1\r\nHost: olf\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        quoted=b"Transfer-Encoding: chunked",
        message="the request is not valid HTTP/1.1",
    ),
]


@dataclass(frozen=True)
class Answer:
    raw: bytes
    status: int
    headers: dict[str, str]
    body: bytes


async def send(port: int, raw: bytes) -> Answer:
    """Send ``raw`` and read the answer until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received = b""
    try:
        writer.write(raw)
        # The server answers and closes before reading all of a long request,
        # which resets the connection after the answer.
        with contextlib.suppress(ConnectionResetError):
            await writer.drain()
        with contextlib.suppress(ConnectionResetError):
            while chunk := await asyncio.wait_for(reader.read(65536), WAIT):
                received += chunk
    finally:
        writer.close()
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return Answer(received, int(status_line.split()[1]), headers, body)


@contextlib.asynccontextmanager
async def listening(runner: web.AppRunner) -> AsyncIterator[int]:
    """Serve ``runner`` on a free port of 127.0.0.1."""
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


def plain_application() -> web.Application:
    application = web.Application()

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    application.router.add_get("/broken", broken)
    return application


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.exc_info is not None]


@pytest.mark.parametrize("bad", BAD_REQUESTS, ids=lambda bad: bad.name)
async def test_aiohttp_answers_in_plain_text_quoting_the_request(
    bad: BadRequest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with listening(web.AppRunner(plain_application(), access_log=None)) as port:
        answer = await send(port, bad.raw)
    # If these fail, aiohttp changed: see whether app.workarounds.parser_errors is still needed.
    assert answer.status == 400
    assert answer.headers["Content-Type"].startswith("text/plain")
    if bad.quoted is not None:
        assert bad.quoted in answer.body
    errors = [record for record in tracebacks(caplog) if record.levelno >= logging.ERROR]
    assert bool(errors) == bad.traceback


@pytest.mark.parametrize("bad", BAD_REQUESTS, ids=lambda bad: bad.name)
async def test_olf_answers_json_without_the_request_and_logs_one_line(
    olf_factory: Callable[..., Olf], bad: BadRequest, caplog: pytest.LogCaptureFixture
) -> None:
    port = unused_port()
    olf = olf_factory(web_port=port)
    web_driver = cast(AiohttpWeb, olf.app.web)
    web_driver.init_server()
    await web_driver.start_server()  # as a worker does, with OLF's rules installed
    try:
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        answer = await send(port, bad.raw)
        records = [record for record in caplog.records if record.levelno >= logging.INFO]
    finally:
        await web_driver.stop_server()
    assert answer.status == 400
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert orjson.loads(answer.body) == {
        "status": 400,
        "error": "Bad Request",
        "message": bad.message,
    }
    if bad.quoted is not None:
        assert bad.quoted not in answer.raw
    assert not tracebacks(caplog)
    assert [(record.levelname, record.getMessage()) for record in records] == [
        ("INFO", f"Rejected a request from 127.0.0.1: 400 {bad.message}")
    ]


async def test_olfs_runner_still_answers_good_requests_and_reports_other_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure past every middleware: aiohttp's traceback is kept, the answer is JSON."""
    async with listening(JsonErrorAppRunner(plain_application(), access_log=None)) as port:
        missing = await send(port, get(b"/nothing", b"Connection: close\r\n"))
        broken = await send(port, get(b"/broken"))
    assert missing.status == 404  # aiohttp's routing as before: no middleware here
    assert broken.status == 500
    assert orjson.loads(broken.body) == {
        "status": 500,
        "error": "Internal Server Error",
        "message": "internal error; see the worker log",
    }
    assert [str(record.exc_info[1]) for record in tracebacks(caplog) if record.exc_info] == [
        "a bug"
    ]
