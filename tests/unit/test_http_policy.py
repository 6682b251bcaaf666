"""Rules every answer follows: JSON errors, unknown parameters, caching, CORS."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from faust.web import Request, Response, View

from app.factory import Olf
from tests.web_client import serve

DASHBOARD_ORIGIN = "https://dash.example.com"


def error_of(status: int, phrase: str, message: str) -> dict[str, object]:
    return {"status": status, "error": phrase, "message": message}


async def test_unknown_path_is_a_json_404(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get("/api/stats/nothing")
        assert response.status == 404
        message = "no such path: /api/stats/nothing"
        assert await response.json() == error_of(404, "Not Found", message)


async def test_other_methods_are_a_json_405_naming_the_allowed_ones(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.post("/api/stats/summary", data=b"{}")
        assert response.status == 405
        assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}
        body = await response.json()
        assert body["status"] == 405
        assert body["message"].startswith("method POST is not allowed here")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "by=country&limit=5",
            "unknown query parameter 'limit'; this path accepts: by",
        ),
        ("by=country&by=segment", "'by' given more than once"),
        ("by=city", "'by' must be one of: country, segment, status (got 'city')"),
        ("", "'by' must be one of: country, segment, status (got missing)"),
    ],
)
async def test_unknown_repeated_or_bad_parameters_are_a_json_400(
    olf: Olf, query: str, message: str
) -> None:
    async with serve(olf) as client:
        response = await client.get(f"/api/stats/customers?{query}")
        assert response.status == 400
        assert await response.json() == error_of(400, "Bad Request", message)


async def test_parameters_are_checked_on_routes_without_any(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get("/api/health?verbose=1")
        assert response.status == 400
        assert (await response.json())["message"] == (
            "unknown query parameter 'verbose'; this path accepts: none"
        )


async def test_an_unexpected_failure_is_a_json_500_and_logged(
    olf: Olf, caplog: pytest.LogCaptureFixture
) -> None:
    @olf.app.page("/api/broken")
    class Broken(View):
        async def get(self, request: Request) -> Response:
            raise RuntimeError("a bug")

    async with serve(olf) as client:
        response = await client.get("/api/broken")
        assert response.status == 500
        assert await response.json() == error_of(
            500, "Internal Server Error", "internal error; see the worker log"
        )
    assert "Failed to answer GET /api/broken" in caplog.text
    assert "RuntimeError: a bug" in caplog.text


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        # Statistics may be kept, but are revalidated with their ETag.
        ("/api/stats/summary", "no-cache"),
        ("/api/stats/customers?by=status", "no-cache"),
        ("/api/nothing", "no-store"),
        ("/api/stats/customers?by=city", "no-store"),
        ("/", "no-store"),
        ("/static/dashboard.js", "no-cache"),
    ],
)
async def test_live_answers_are_never_used_unrevalidated(
    olf: Olf, path: str, cache_control: str
) -> None:
    async with serve(olf) as client:
        response = await client.get(path)
        assert response.headers["Cache-Control"] == cache_control
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_no_cors_headers_by_default(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get("/api/stats/summary", headers={"Origin": DASHBOARD_ORIGIN})
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_configured_origins_may_read_the_api(olf_factory: Callable[..., Olf]) -> None:
    olf = olf_factory(cors_origins=f"{DASHBOARD_ORIGIN}, http://localhost:3000")
    async with serve(olf) as client:
        allowed = await client.get("/api/stats/summary", headers={"Origin": DASHBOARD_ORIGIN})
        assert allowed.headers["Access-Control-Allow-Origin"] == DASHBOARD_ORIGIN
        assert "Access-Control-Allow-Credentials" not in allowed.headers

        other = await client.get("/api/stats/summary", headers={"Origin": "https://evil.example"})
        assert other.status == 200
        assert "Access-Control-Allow-Origin" not in other.headers

        preflight = await client.options(
            "/api/stream",
            headers={
                "Origin": "http://localhost:3000",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "last-event-id",
            },
        )
        assert preflight.status == 200
        assert preflight.headers["Access-Control-Allow-Methods"] == "GET"
        assert preflight.headers["Access-Control-Allow-Headers"].lower() == "last-event-id"

        no_posts = await client.options(
            "/api/stats/summary",
            headers={"Origin": DASHBOARD_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert no_posts.status == 403
        assert (await no_posts.json())["status"] == 403


async def test_any_origin_with_a_star(olf_factory: Callable[..., Olf]) -> None:
    olf = olf_factory(cors_origins="*")
    async with serve(olf) as client:
        for origin in ("https://any.example", "http://127.0.0.1:8000"):
            response = await client.get("/api/stats/summary", headers={"Origin": origin})
            # aiohttp-cors names the origin instead of "*": the same permission.
            assert response.headers["Access-Control-Allow-Origin"] == origin
