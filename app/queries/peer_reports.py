"""This worker's copies of the reports of partitions that other workers own.

Every :data:`POLL_EVERY` seconds each other worker is asked, in one request,
for what changed since the copies held here (``known=`` the source and
revision of each copy); it answers with a :class:`ReportUpdate` per partition
it reports, carrying only the windows changed since. A worker that has not
answered for :data:`STALE_AFTER` seconds has its copies dropped, so its
partitions count as uncovered until it (or the worker that takes them over)
answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import aiohttp

from app.queries.cluster import REPORTS_PATH, Cluster
from app.queries.partition_report import PartitionReport, ReportUpdate

log = logging.getLogger(__name__)

#: Seconds between two rounds of asking every other worker.
POLL_EVERY: Final = 0.2
#: Seconds an answer may take before the round goes on without it.
POLL_TIMEOUT: Final = aiohttp.ClientTimeout(total=1.0)
#: Seconds after a worker's last answer when its partitions become uncovered.
STALE_AFTER: Final = 2.0


@dataclass(slots=True)
class _Peer:
    reports: dict[int, PartitionReport] = field(default_factory=dict)
    #: ``time.monotonic()`` when the request of its last answer was sent.
    answered_at: float = -1e9
    #: Its last request went unanswered (logged once per streak).
    silent: bool = False


class PeerReports:
    """Copies of the other workers' reports; ``on_change`` runs after each answer applied."""

    def __init__(self, cluster: Cluster, on_change: Callable[[], None]) -> None:
        self.cluster = cluster
        self.on_change = on_change
        self._peers: dict[str, _Peer] = {}

    def current(self) -> list[PartitionReport]:
        """Copies from the workers that answered within :data:`STALE_AFTER` seconds."""
        fresh_since = time.monotonic() - STALE_AFTER
        return [
            report
            for peer in self._peers.values()
            if peer.answered_at >= fresh_since
            for report in peer.reports.values()
        ]

    async def poll(self) -> None:
        """Ask every other worker once (all at once); forget workers that left the group."""
        urls = self.cluster.peer_urls()
        for gone in set(self._peers) - set(urls):
            del self._peers[gone]
        await asyncio.gather(*(self._ask(url) for url in urls))

    async def _ask(self, url: str) -> None:
        peer = self._peers.setdefault(url, _Peer())
        known = ",".join(f"{p}:{r.source}:{r.revision}" for p, r in sorted(peer.reports.items()))
        asked_at = time.monotonic()
        answer = await self.cluster.get(
            url + REPORTS_PATH,
            {"known": known} if known else {},
            wait=POLL_TIMEOUT,
            log_failure=False,
        )
        if url not in self._peers:
            return
        if answer is None:
            if not peer.silent:
                log.warning(
                    "No report from worker at %s; its partitions count as uncovered"
                    " once it has not answered for %s s",
                    url,
                    STALE_AFTER,
                )
            peer.silent = True
            return
        if peer.silent:
            log.info("Worker at %s answers again", url)
            peer.silent = False
        reports = {}
        for key, data in answer["partitions"].items():
            update = ReportUpdate.from_json(int(key), data)
            copy = update.apply_to(peer.reports.get(update.partition))
            # None: the update was for a copy this worker no longer has; the
            # next round asks for the partition whole.
            if copy is not None:
                reports[update.partition] = copy
        peer.reports, peer.answered_at = reports, asked_at
        self.on_change()
