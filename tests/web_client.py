"""An OLF app's web server in-process (aiohttp's test server), without a broker or worker.

The app is not started: it owns no partitions, so the statistics views answer
with nothing covered, which is all the HTTP rules need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app.factory import Olf
from app.web.http_policy import web_application


@asynccontextmanager
async def serve(olf: Olf) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A client of ``olf``'s routes, including those Faust adds when a worker starts."""
    olf.app.web.init_server()
    async with TestClient(TestServer(web_application(olf.app))) as client:
        yield client
