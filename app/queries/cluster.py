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
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote

import aiohttp
import faust
from faust.exceptions import ConsumerNotStarted
from faust.types import TP
from yarl import URL

from app.queries.reports import ClusterView, PartitionReport, Series, partition_report
from models.customer_state import CustomerState
from models.partition_stats import NOTHING_PROCESSED
from tables.statistics import Statistics

log = logging.getLogger(__name__)

REPORT_PATH: Final = "/api/internal/report"
#: Several series at once: ``?metrics=signups,updates&window=1m[&windows=60]``.
REPORTS_PATH: Final = "/api/internal/reports"
CUSTOMER_PATH: Final = "/api/internal/customers/"
PEER_TIMEOUT: Final = aiohttp.ClientTimeout(total=5)


class Cluster:
    """The statistics of all partitions, as seen from this worker."""

    def __init__(
        self,
        app: faust.App,
        statistics: Statistics,
        topic: str,
        partition_count: int,
        internal_token: str = "",
    ) -> None:
        self.app = app
        self.statistics = statistics
        self.topic = topic
        self.partition_count = partition_count
        self.peer_headers = authorization(internal_token)

    def owned_partitions(self) -> list[int]:
        """Input partitions this worker processes and has fully recovered, else none."""
        if self.app.rebalancing or self.app.in_recovery:
            return []
        return sorted(
            tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.topic
        )

    async def local_reports(self, series: Series | None) -> dict[int, PartitionReport]:
        """Reports of the partitions this worker owns."""
        return (await self.local_reports_of([series]))[0]

    async def local_reports_of(
        self, series: Sequence[Series | None]
    ) -> list[dict[int, PartitionReport]]:
        """Reports of the partitions this worker owns, once per ``series``, in that order."""
        partitions = self.owned_partitions()
        if not partitions:
            return [{} for _ in series]
        tps = [TP(self.topic, partition) for partition in partitions]
        highwaters, log_starts = await self._offsets(tps)
        return [
            {
                tp.partition: partition_report(
                    self.statistics, tp.partition, highwaters[tp], log_starts[tp], one
                )
                for tp in tps
            }
            for one in series
        ]

    def known_highwater(self, tp: TP) -> int | None:
        """The log end offset of ``tp`` as of the consumer's last fetch, if it has one."""
        try:
            highwater = self.app.consumer.highwater(tp)
        except (AssertionError, ConsumerNotStarted):  # not (yet) assigned or started
            return None
        return None if highwater is None else int(highwater)

    async def _offsets(self, tps: list[TP]) -> tuple[dict[TP, int], dict[TP, int]]:
        """Log end offsets of ``tps``, and log start offsets where the lag needs them.

        End offsets come from the consumer's last fetch when it has them: asking
        the broker instead waits behind the consumer's long-polling fetch (up to
        1.5 s while no events arrive), and every answer would be that slow. The
        lag is then as of the last fetch, which is at most that old. The start
        offset only matters for a partition with messages of which none has been
        processed yet.
        """
        known = {tp: value for tp in tps if (value := self.known_highwater(tp)) is not None}
        if len(known) == len(tps):
            highwaters = known
        else:
            highwaters = dict(await self.app.consumer.highwaters(*tps))
        unstarted = [
            tp
            for tp in tps
            if highwaters[tp] > 0
            and self.statistics.partition(tp.partition).offset == NOTHING_PROCESSED
        ]
        log_starts = dict(await self.app.consumer.earliest_offsets(*unstarted)) if unstarted else {}
        return highwaters, {tp: log_starts.get(tp, 0) for tp in tps}

    async def view(self, series: Series | None = None) -> ClusterView:
        """Merged reports of this worker and every other worker that answers."""
        query = {} if series is None else {"metric": series.metric, "window": series.window}
        if series is not None and series.windows is not None:
            query["windows"] = str(series.windows)
        remote = [self._peer_report(url, query) for url in self._peer_urls()]
        reports = await asyncio.gather(self.local_reports(series), *remote)
        return ClusterView.merge(list(reports), self.partition_count)

    async def views(self, series: Sequence[Series]) -> list[ClusterView]:
        """One merged view per series, in order, asking every worker once for all of them.

        Raises:
            ValueError: the series differ in ``window`` or ``windows``.
        """
        if len({(one.window, one.windows) for one in series}) != 1:
            raise ValueError("series of one request share their window and windows")
        query = {"metrics": ",".join(one.metric for one in series), "window": series[0].window}
        if series[0].windows is not None:
            query["windows"] = str(series[0].windows)
        remote = [self._peer_reports(url, query, len(series)) for url in self._peer_urls()]
        answers = await asyncio.gather(self.local_reports_of(series), *remote)
        return [
            ClusterView.merge([answer[index] for answer in answers], self.partition_count)
            for index in range(len(series))
        ]

    async def customer(self, customer_id: str) -> CustomerState | None:
        """The newest known state of a customer, asking every worker."""
        found = [self.statistics.customer(customer_id)]
        path = customer_path(customer_id)
        answers = await asyncio.gather(*(self._get(url + path, {}) for url in self._peer_urls()))
        found.extend(CustomerState.from_json(answer["state"]) for answer in answers if answer)
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
        return reports_from_json(answer["partitions"])

    async def _peer_reports(
        self, url: str, query: dict[str, str], count: int
    ) -> list[dict[int, PartitionReport]]:
        answer = await self._get(url + REPORTS_PATH, query)
        if not answer:
            return [{} for _ in range(count)]
        return [reports_from_json(entry["partitions"]) for entry in answer["series"]]

    async def _get(self, url: str, query: dict[str, str]) -> dict[str, Any] | None:
        """GET a peer's internal JSON (``url`` already escaped); None when it has nothing."""
        try:
            async with self.app.http_client.get(
                URL(url, encoded=True),
                params=query,
                headers=self.peer_headers,
                timeout=PEER_TIMEOUT,
            ) as reply:
                if reply.status == HTTPStatus.UNAUTHORIZED:
                    log.warning("Worker at %s refused this worker's OLF_INTERNAL_TOKEN", url)
                if reply.status != HTTPStatus.OK:
                    return None
                body: dict[str, Any] = await reply.json()
                return body
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("No answer from worker at %s: %r", url, exc)
            return None


def authorization(token: str) -> dict[str, str]:
    """Headers a worker sends its peers (see :mod:`app.web.internal_auth`); no token: none."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def customer_path(customer_id: str) -> str:
    """The internal path of ``customer_id``, escaped so that it stays one path segment.

    Every character but letters, digits, ``-``, ``_`` and ``~`` is percent-
    encoded, so that a client's id such as ``../report`` cannot choose which internal
    path the workers call; dots too, so that no URL normalisation on the way
    (a proxy's) turns ``..`` into a step up. Sent as is (``encoded=True``).
    """
    return CUSTOMER_PATH + quote(customer_id, safe="").replace(".", "%2E")


def reports_to_json(reports: dict[int, PartitionReport]) -> dict[str, Any]:
    """Partition reports as the internal endpoints send them."""
    return {str(partition): report.to_json() for partition, report in reports.items()}


def reports_from_json(partitions: dict[str, Any]) -> dict[int, PartitionReport]:
    """The inverse of :func:`reports_to_json`."""
    return {int(p): PartitionReport.from_json(report) for p, report in partitions.items()}
