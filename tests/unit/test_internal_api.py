"""The internal API answers workers only, stays cheap, and client ids cannot steer it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from app.factory import Olf
from app.queries.cluster import CUSTOMER_PATH, customer_path
from tests.web_client import serve

TOKEN = "5ecret-shared-by-the-workers"
INTERNAL_PATHS = [
    "/api/internal/reports",
    "/api/internal/reports?known=0:1f2e3d:7,5:aa:1",
    "/api/internal/customers/c-1",
]


@pytest.mark.parametrize("path", INTERNAL_PATHS)
@pytest.mark.parametrize("sent", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
async def test_without_the_token_a_worker_answers_401(
    olf_factory: Callable[..., Olf], path: str, sent: str | None
) -> None:
    headers = {} if sent is None else {"Authorization": sent}
    async with serve(olf_factory(internal_token=TOKEN)) as client:
        response = await client.get(path, headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        body = await response.json()
        assert body["status"] == 401
        assert "OLF_INTERNAL_TOKEN" in body["message"]


@pytest.mark.parametrize("path", INTERNAL_PATHS)
async def test_with_the_token_it_answers(olf_factory: Callable[..., Olf], path: str) -> None:
    async with serve(olf_factory(internal_token=TOKEN)) as client:
        response = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        # The unstarted app owns no partitions and knows no customer c-1.
        assert response.status == (404 if "customers" in path else 200)


async def test_the_public_api_needs_no_token(olf_factory: Callable[..., Olf]) -> None:
    async with serve(olf_factory(internal_token=TOKEN)) as client:
        assert (await client.get("/api/stats/summary")).status == 200
        assert (await client.get("/api/customers/c-1")).status == 404


async def test_without_a_token_setting_the_internal_api_is_open(olf: Olf) -> None:
    # Only on loopback: Settings refuses any other bind without a token.
    async with serve(olf) as client:
        assert (await client.get("/api/internal/reports")).status == 200


@pytest.mark.parametrize("known", ["0", "0:a", "x:a:1", "0:a:1:2", "0:a:-1", "0:a:1,", "²:a:1"])
async def test_a_malformed_list_of_known_reports_is_refused(olf: Olf, known: str) -> None:
    async with serve(olf) as client:
        response = await client.get(f"/api/internal/reports?known={known}")
        assert response.status == 400
        assert "<partition>:<source>:<revision>" in (await response.json())["message"]


async def test_a_customer_id_longer_than_any_event_allows_is_unknown(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get("/api/customers/" + "x" * 65)
        assert response.status == 404


HOSTILE_IDS = [
    "../report",
    "..%2F..%2Fstats%2Fsummary",
    "../../stats/summary",
    "..",
    ".",
    "a/b?metrics=updates#x",
    "ü %25 +",
]


@pytest.fixture
async def echo_server() -> TestClient[web.Request, web.Application]:
    """A server with the internal customer route and the one a bad id would reach instead."""

    async def customer(request: web.Request) -> web.Response:
        return web.json_response({"customer_id": request.match_info["customer_id"]})

    async def other(request: web.Request) -> web.Response:
        return web.json_response({"reached": request.path})

    server = web.Application()
    server.router.add_get(CUSTOMER_PATH + "{customer_id}", customer)
    server.router.add_get("/api/internal/report", other)
    server.router.add_get("/api/stats/summary", other)
    return TestClient(TestServer(server))


@pytest.mark.parametrize("customer_id", HOSTILE_IDS)
async def test_an_escaped_id_reaches_the_customer_route_unchanged(
    echo_server: TestClient[web.Request, web.Application], customer_id: str
) -> None:
    async with echo_server as client:
        url = URL(str(client.make_url("")).rstrip("/") + customer_path(customer_id), encoded=True)
        response = await client.session.get(url)
        assert response.status == 200
        assert await response.json() == {"customer_id": customer_id}


async def test_an_id_appended_unescaped_chooses_another_path(
    echo_server: TestClient[web.Request, web.Application],
) -> None:
    # What OLF did before customer_path: the id picks the internal path called.
    async with echo_server as client:
        response = await client.get(CUSTOMER_PATH + "../report")
        assert await response.json() == {"reached": "/api/internal/report"}
