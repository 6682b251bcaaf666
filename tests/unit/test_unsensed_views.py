"""Faust's views call the sensors on every request; OLF's API views count answers instead.

See app.workarounds.unsensed_views: the sensor calls were 11-12% of a cached
statistics answer's CPU. The first test shows what faust-streaming does; if
it fails, Faust changed and the workaround may no longer be needed.
"""

from __future__ import annotations

from typing import Any

import pytest
from faust.web import Request, Response, View

from app.factory import Olf
from app.workarounds.unsensed_views import UnsensedView
from tests.web_client import serve


class SensorCalls:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_web_request_start(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("start")
        return {}

    def on_web_request_end(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append("end")


@pytest.fixture
def sensors(monkeypatch: pytest.MonkeyPatch, olf: Olf) -> SensorCalls:
    recorded = SensorCalls()
    for hook in ("on_web_request_start", "on_web_request_end"):
        monkeypatch.setattr(olf.app.sensors, hook, getattr(recorded, hook))
    return recorded


async def test_fausts_view_calls_the_sensors_around_every_request(
    olf: Olf, sensors: SensorCalls
) -> None:
    @olf.app.page("/faust-view")
    class Plain(View):
        async def get(self, request: Request) -> Response:
            return self.json({"ok": True})

    async with serve(olf) as client:
        for _ in range(3):
            assert (await client.get("/faust-view")).status == 200
    assert sensors.calls == ["start", "end"] * 3


async def test_olfs_api_views_skip_the_sensors_and_count_answers_by_status(
    olf: Olf, sensors: SensorCalls
) -> None:
    async with serve(olf) as client:
        for _ in range(3):
            assert (await client.get("/api/stats/summary")).status == 200
        assert (await client.get("/api/stats/customers?by=city")).status == 400
        assert (await client.get("/api/stats/customers?by=country")).status == 200
        metrics = await (await client.get("/metrics")).text()
    # /metrics is Faust's own view: the one request the sensors saw.
    assert sensors.calls == ["start", "end"]
    assert 'olf_http_answers_total{path="/api/stats/summary",status="200"} 3.0' in metrics
    assert 'olf_http_answers_total{path="/api/stats/customers",status="400"} 1.0' in metrics
    assert 'olf_http_answers_total{path="/api/stats/customers",status="200"} 1.0' in metrics


def test_every_subclass_counts_its_own_answers() -> None:
    class First(UnsensedView):
        pass

    class Second(UnsensedView):
        pass

    First.answered[200] += 1
    assert Second.answered[200] == 0
