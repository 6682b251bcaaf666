"""Liveness and readiness, with the worker's state set by hand (no broker).

The integration tests see a real worker become ready; here each reason for
not being ready is set up alone.
"""

from __future__ import annotations

import pytest

from app.factory import Olf
from app.queries.partition_report import PartitionReport
from app.web.health import not_ready_reason
from models.partition_stats import PartitionStats
from tests.conftest import UNIT_PARTITIONS
from tests.web_client import serve


def assign(
    monkeypatch: pytest.MonkeyPatch, olf: Olf, partitions_by_worker: dict[str, list[int]]
) -> None:
    """Pretend the group assigned the input topic's partitions like this."""
    topic = olf.cluster.topic
    metadata = {url: {topic: partitions} for url, partitions in partitions_by_worker.items()}
    monkeypatch.setattr(olf.app.router, "external_topics_metadata", lambda: metadata)


def recovered(olf: Olf) -> None:
    olf.app.tables.recovery.completed.set()  # type: ignore[attr-defined]


def view_covers(olf: Olf, partitions: range) -> None:
    """Pretend the merged view holds reports of ``partitions``."""
    olf.view.local.reports = {
        partition: PartitionReport(partition, "s", 1, PartitionStats(), 0)
        for partition in partitions
    }
    olf.view.merge()


async def test_health_answers_while_the_process_serves(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get("/api/health")
        assert (response.status, await response.json()) == (200, {"status": "ok"})


async def test_not_ready_before_joining_the_group(olf: Olf) -> None:
    async with serve(olf) as client:
        response = await client.get("/api/ready")
        assert response.status == 503
        assert await response.json() == {
            "status": 503,
            "error": "Service Unavailable",
            "message": "not ready: not yet assigned partitions and recovered its tables",
        }


@pytest.mark.parametrize(
    ("flag", "reason"), [("rebalancing", "rebalancing"), ("in_recovery", "recovering its tables")]
)
def test_not_ready_while_rebalancing_or_recovering(
    monkeypatch: pytest.MonkeyPatch, olf: Olf, flag: str, reason: str
) -> None:
    recovered(olf)
    assign(monkeypatch, olf, {"http://a:6066": list(range(UNIT_PARTITIONS))})
    setattr(olf.app, flag, True)
    assert not_ready_reason(olf.app, olf.cluster, olf.view) == reason


def test_not_ready_while_some_input_partition_has_no_worker(
    monkeypatch: pytest.MonkeyPatch, olf: Olf
) -> None:
    recovered(olf)
    assign(monkeypatch, olf, {"http://a:6066": [0, 1], "http://b:6066": [2]})
    assert not_ready_reason(olf.app, olf.cluster, olf.view) == (
        f"the group's assignment covers 3 of {UNIT_PARTITIONS} partitions of {olf.cluster.topic}"
    )


def test_not_ready_until_the_merged_view_covered_every_partition_since_the_rebalance(
    monkeypatch: pytest.MonkeyPatch, olf: Olf
) -> None:
    recovered(olf)
    assign(monkeypatch, olf, {"http://a:6066": [0, 2], "http://b:6066": [1, 3]})
    waiting = "waiting for the other workers' reports"
    view_covers(olf, range(UNIT_PARTITIONS - 1))
    assert not_ready_reason(olf.app, olf.cluster, olf.view) == waiting
    view_covers(olf, range(UNIT_PARTITIONS))
    assert not_ready_reason(olf.app, olf.cluster, olf.view) is None
    olf.app.on_rebalance_start()
    olf.app.on_rebalance_end()
    assert not_ready_reason(olf.app, olf.cluster, olf.view) == waiting


async def test_ready_once_recovered_and_every_partition_has_a_worker(
    monkeypatch: pytest.MonkeyPatch, olf: Olf
) -> None:
    recovered(olf)
    assign(monkeypatch, olf, {"http://a:6066": [0, 2], "http://b:6066": [1, 3]})
    view_covers(olf, range(UNIT_PARTITIONS))
    async with serve(olf) as client:
        response = await client.get("/api/ready")
        assert response.status == 200
        # This (unstarted) worker itself owns none: a group may have more workers than partitions.
        assert await response.json() == {"status": "ready", "partitions": []}
