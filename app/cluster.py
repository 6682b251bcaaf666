"""Answering from every worker: local reports, and the fan-out to the others.

Each worker owns some input partitions. A query is answered by the worker it
reaches: it builds reports for its own partitions and asks every other
worker (found in Faust's partition assignment, by their web URLs) for theirs
through ``/api/internal/...``. A worker that does not answer in time leaves
its partitions uncovered; the answer says so in ``as_of`` instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

import aiohttp
import faust
from faust.types import TP

from app.reports import ClusterView, PartitionReport, Series, partition_report
from models.customer_state import CustomerState
from tables.statistics import Statistics

log = logging.getLogger(__name__)

REPORT_PATH: Final = "/api/internal/report"
CUSTOMER_PATH: Final = "/api/internal/customers/"
PEER_TIMEOUT: Final = aiohttp.ClientTimeout(total=5)


class Cluster:
    """The statistics of all partitions, as seen from this worker."""

    def __init__(
        self, app: faust.App, statistics: Statistics, topic: str, partition_count: int
    ) -> None:
        self.app = app
        self.statistics = statistics
        self.topic = topic
        self.partition_count = partition_count

    def owned_partitions(self) -> list[int]:
        """Input partitions this worker processes and has fully recovered, else none."""
        if self.app.rebalancing or self.app.in_recovery:
            return []
        return sorted(
            tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.topic
        )

    async def local_reports(self, series: Series | None) -> dict[int, PartitionReport]:
        """Reports of the partitions this worker owns."""
        partitions = self.owned_partitions()
        if not partitions:
            return {}
        tps = [TP(self.topic, partition) for partition in partitions]
        highwaters = await self.app.consumer.highwaters(*tps)
        log_starts = await self.app.consumer.earliest_offsets(*tps)
        return {
            tp.partition: partition_report(
                self.statistics, tp.partition, highwaters[tp], log_starts[tp], series
            )
            for tp in tps
        }

    async def view(self, series: Series | None = None) -> ClusterView:
        """Merged reports of this worker and every other worker that answers."""
        query = {} if series is None else {"metric": series.metric, "window": series.window}
        remote = [self._peer_report(url, query) for url in self._peer_urls()]
        reports = await asyncio.gather(self.local_reports(series), *remote)
        return ClusterView.merge(list(reports), self.partition_count)

    async def customer(self, customer_id: str) -> CustomerState | None:
        """The newest known state of a customer, asking every worker."""
        found = [self.statistics.customer(customer_id)]
        path = CUSTOMER_PATH + customer_id
        answers = await asyncio.gather(*(self._get(url + path, {}) for url in self._peer_urls()))
        found.extend(CustomerState(**answer["state"]) for answer in answers if answer)
        known = [state for state in found if state is not None]
        return max(known, key=lambda state: state.version) if known else None

    def _peer_urls(self) -> list[str]:
        """Web URLs of the other workers that own partitions."""
        own = str(self.app.conf.canonical_url).rstrip("/")
        urls = {url.rstrip("/") for url in self.app.router.tables_metadata()}
        return sorted(urls - {own})

    async def _peer_report(self, url: str, query: dict[str, str]) -> dict[int, PartitionReport]:
        answer = await self._get(url + REPORT_PATH, query)
        if not answer:
            return {}
        return {
            int(partition): PartitionReport.from_json(report)
            for partition, report in answer["partitions"].items()
        }

    async def _get(self, url: str, query: dict[str, str]) -> dict[str, Any] | None:
        """GET a peer's internal JSON; None when it is unreachable or has nothing."""
        try:
            async with self.app.http_client.get(url, params=query, timeout=PEER_TIMEOUT) as reply:
                if reply.status != 200:
                    return None
                body: dict[str, Any] = await reply.json()
                return body
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("No answer from worker at %s: %r", url, exc)
            return None
