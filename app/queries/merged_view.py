"""One worker's view of the statistics of every partition, and the answers built from it.

Requests never wait on another worker: every answer is built from the view,
which two loops keep fresh (started by :func:`keep_merged_view`):

* every :data:`REFRESH_EVERY` seconds, the reports of the partitions this
  worker owns (:mod:`app.queries.local_reports`);
* every :data:`~app.queries.peer_reports.POLL_EVERY` seconds, the copies of the
  other workers' reports (:mod:`app.queries.peer_reports`).

So an event a worker has processed reaches every worker's answers within
about ``REFRESH_EVERY + POLL_EVERY`` seconds (docs/api.md states the bound),
and a covered partition's numbers are never older than ``STALE_AFTER``.

The view has a version that changes whenever a report does. An answer is
built and encoded once per version and path, with its ETag (a hash of the
body), so a thousand clients asking the same question cost one build.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import faust
import orjson

from app.queries.answers import MergedReports
from app.queries.cluster import Cluster
from app.queries.local_reports import LocalReports
from app.queries.partition_report import PartitionReport
from app.queries.peer_reports import POLL_EVERY, PeerReports

log = logging.getLogger(__name__)

#: Seconds between two refreshes of this worker's own reports.
REFRESH_EVERY: Final = 0.1


@dataclass(frozen=True, slots=True)
class Answer:
    """One encoded answer and its ETag (a strong validator: equal bodies, equal tags)."""

    value: Any
    body: bytes
    etag: str

    @classmethod
    def of(cls, value: Any) -> Answer:
        body = orjson.dumps(value)
        return cls(value, body, f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"')


class MergedView:
    """The newest report of every partition this worker has heard of, and cached answers."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.local = LocalReports(cluster.statistics)
        self.peers = PeerReports(cluster, on_change=self.merge)
        self.merged = MergedReports({}, cluster.partition_count)
        #: Changes whenever any report in :attr:`merged` does.
        self.version = 0
        self._revisions: dict[int, tuple[str, int]] = {}
        self._answers: dict[str, Answer] = {}
        #: Faust's count of rebalances when the view last covered every partition.
        self._complete_in: int | None = None

    @property
    def complete_since_rebalance(self) -> bool:
        """The view has covered every partition since the last rebalance began."""
        return self._complete_in == self.cluster.app.rebalancing_count

    def answer(self, key: str, build: Callable[[MergedReports], Any]) -> Answer:
        """The answer ``build`` makes of the view, built once per version and ``key``."""
        cached = self._answers.get(key)
        if cached is None:
            cached = self._answers[key] = Answer.of(build(self.merged))
        return cached

    def merge(self) -> None:
        """Take the newest report of each partition, local or copied; a new version if any changed.

        A partition reported twice (mid-rebalance, two workers claim it) keeps
        the report that has processed more of it.
        """
        chosen: dict[int, PartitionReport] = dict(self.local.reports)
        for copy in self.peers.current():
            known = chosen.get(copy.partition)
            if known is None or copy.stats.offset > known.stats.offset:
                chosen[copy.partition] = copy
        revisions = {p: (report.source, report.revision) for p, report in chosen.items()}
        if revisions != self._revisions:
            self._revisions = revisions
            self.merged = MergedReports(chosen, self.cluster.partition_count)
            self.version += 1
            self._answers.clear()
        app = self.cluster.app
        if len(chosen) == self.cluster.partition_count and not app.rebalancing:
            self._complete_in = app.rebalancing_count

    async def refresh_local(self) -> None:
        """Bring this worker's own reports up to date, then merge."""
        partitions = self.cluster.owned_partitions()
        lags = await self.cluster.lags(partitions) if partitions else {}
        if self.cluster.owned_partitions() != partitions:
            return  # a rebalance began meanwhile; the next round sees its outcome
        self.local.refresh(lags)
        self.merge()

    async def refresh_peers(self) -> None:
        await self.peers.poll()
        self.merge()  # also when nobody answered: copies go stale with time


async def repeat(
    what: str, every: float, step: Callable[[], Any], stopping: Callable[[], bool]
) -> None:
    """Run ``step`` every ``every`` seconds until ``stopping()``; log failures once per streak."""
    loop = asyncio.get_running_loop()
    failing = False
    while not stopping():
        started = loop.time()
        try:
            await step()
        except Exception:
            if not failing:
                log.warning("Cannot %s; retrying every %s s", what, every, exc_info=True)
            failing = True
        else:
            failing = False
        await asyncio.sleep(max(0.0, every - (loop.time() - started)))


def keep_merged_view(app: faust.App, view: MergedView) -> None:
    """Keep ``view`` fresh while ``app`` runs (one Faust task per worker)."""

    async def refresh_merged_view() -> None:
        def stopping() -> bool:
            return bool(app.should_stop)

        await asyncio.gather(
            repeat("refresh this worker's reports", REFRESH_EVERY, view.refresh_local, stopping),
            repeat(
                "ask the other workers for their reports", POLL_EVERY, view.refresh_peers, stopping
            ),
        )

    app.task(refresh_merged_view)
