"""The merged view: which report of a partition counts, when copies go stale, ETags and 304."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from app.factory import Olf
from app.queries import answers, peer_reports
from app.queries.cluster import REPORTS_PATH
from app.queries.partition_report import PartitionReport
from models.partition_stats import PartitionStats
from tests.conftest import UNIT_PARTITIONS
from tests.events import message
from tests.messages import partition_of
from tests.olf_driver import FollowedReports, put
from tests.web_client import serve


def report(
    partition: int, offset: int, total: int, source: str = "s", revision: int = 1
) -> PartitionReport:
    stats = PartitionStats(offset=offset, total=total, applied=offset + 1)
    return PartitionReport(partition, source, revision, stats, lag=0)


def set_local(olf: Olf, *reports: PartitionReport) -> None:
    olf.view.local.reports = {one.partition: one for one in reports}
    olf.view.merge()


async def test_an_answer_carries_an_etag_and_a_client_holding_it_gets_304(olf: Olf) -> None:
    set_local(olf, report(0, 4, 3))
    async with serve(olf) as client:
        first = await client.get("/api/stats/summary")
        etag = first.headers["ETag"]
        assert (first.status, first.headers["Cache-Control"]) == (200, "no-cache")
        assert (await first.json())["customers"] == {"total": 3}
        for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = await client.get("/api/stats/summary", headers={"If-None-Match": held})
            assert (again.status, await again.read()) == (304, b""), held
            assert again.headers["ETag"] == etag
        other = await client.get("/api/stats/summary", headers={"If-None-Match": '"other"'})
        assert other.status == 200

        set_local(olf, report(0, 5, 4, revision=2))
        changed = await client.get("/api/stats/summary", headers={"If-None-Match": etag})
        assert changed.status == 200
        assert changed.headers["ETag"] != etag
        assert (await changed.json())["customers"] == {"total": 4}


async def test_each_path_and_parameter_has_its_own_answer(olf: Olf) -> None:
    set_local(olf, report(0, 4, 3))
    async with serve(olf) as client:
        tags = set()
        for path in (
            "/api/stats/summary",
            "/api/stats/customers?by=country",
            "/api/stats/customers?by=segment",
            "/api/stats/timeseries?metric=signups&window=1m",
            "/api/stats/timeseries?metric=updates&window=1m",
        ):
            response = await client.get(path)
            assert response.status == 200
            tags.add(response.headers["ETag"])
        assert len(tags) == 5


def test_an_answer_is_built_once_per_version(olf: Olf) -> None:
    builds: list[int] = []

    def build(merged: answers.MergedReports) -> dict[str, Any]:
        builds.append(merged.total("total"))
        return answers.summary(merged)

    set_local(olf, report(0, 4, 3))
    assert olf.view.answer("k", build) is olf.view.answer("k", build)
    olf.view.merge()  # nothing changed: same version
    olf.view.answer("k", build)
    set_local(olf, report(0, 5, 4, revision=2))
    assert orjson.loads(olf.view.answer("k", build).body)["customers"] == {"total": 4}
    assert builds == [3, 4]


def test_a_partition_reported_twice_counts_the_report_that_processed_more(olf: Olf) -> None:
    peer = peer_reports._Peer({1: report(1, 9, 5, "peer"), 2: report(2, 3, 1, "peer")})
    peer.answered_at = time.monotonic()
    olf.view.peers._peers["http://b:6066"] = peer
    set_local(olf, report(0, 1, 1), report(1, 7, 4), report(2, 8, 6))
    chosen = olf.view.merged.reports
    assert {p: (r.source, r.stats.total) for p, r in chosen.items()} == {
        0: ("s", 1),
        1: ("peer", 5),
        2: ("s", 6),
    }
    assert olf.view.merged.total("total") == 12


def test_copies_of_a_worker_that_stopped_answering_count_as_uncovered(
    monkeypatch: pytest.MonkeyPatch, olf: Olf
) -> None:
    peer = peer_reports._Peer({1: report(1, 9, 5, "peer")})
    peer.answered_at = time.monotonic()
    olf.view.peers._peers["http://b:6066"] = peer
    set_local(olf, report(0, 1, 1))
    assert olf.view.merged.as_of()["partitions_covered"] == 2
    later = time.monotonic() + peer_reports.STALE_AFTER + 0.1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    olf.view.merge()
    assert olf.view.merged.as_of()["partitions_covered"] == 1
    assert olf.view.merged.total("total") == 1


async def test_a_peer_asks_only_for_what_changed_and_ends_with_the_owners_report(
    monkeypatch: pytest.MonkeyPatch, olf_factory: Any
) -> None:
    owner, reader = olf_factory(), olf_factory()
    followed = FollowedReports(owner, UNIT_PARTITIONS)
    asked: list[str] = []

    async def get(url: str, query: dict[str, str], **_: object) -> dict[str, Any]:
        assert url == "http://owner:6066" + REPORTS_PATH
        asked.append(query.get("known", ""))
        known = {
            int(p): (source, int(revision))
            for p, source, revision in (e.split(":") for e in filter(None, asked[-1].split(",")))
        }
        updates = {}
        for partition in followed.local.reports:
            source, since = known.get(partition, ("", 0))
            update = followed.local.update_for(partition, source, since)
            assert update is not None
            updates[str(partition)] = update.to_json()
        wire: dict[str, Any] = orjson.loads(orjson.dumps({"partitions": updates}))
        return wire

    monkeypatch.setattr(reader.cluster, "get", get)
    monkeypatch.setattr(reader.cluster, "peer_urls", lambda: ["http://owner:6066"])
    async with owner.apply_events.test_context() as agent:
        for version in (1, 2, 3):
            for customer in ("a", "b", "c"):
                key, value = message(
                    customer, version, "customer.created" if version == 1 else "customer.updated"
                )
                await put(agent, key, value, partition_of(key, UNIT_PARTITIONS))
            followed.step()
            await reader.view.refresh_peers()
    assert asked[0] == ""
    assert all(asked[1:]), "later rounds name the copies held"
    assert answers.summary(reader.view.merged) == answers.summary(followed.merged())
    for metric in ("signups", "updates"):
        assert reader.view.merged.points(metric, "1m") == followed.merged().points(metric, "1m")
