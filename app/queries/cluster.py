"""The workers of this app, seen from one of them: who owns what, and how to ask them.

Each worker owns some input partitions (Faust's partition assignment) and
serves ``/api/internal/...`` to the others (see :mod:`app.web.api`): report
updates for :mod:`app.queries.peer_reports`, and customers by id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote

import aiohttp
import faust
import orjson
from aiokafka.partitioner import murmur2
from faust.exceptions import ConsumerNotStarted
from faust.types import TP
from yarl import URL

from models.customer_state import CustomerState
from models.partition_stats import NOTHING_PROCESSED
from tables.statistics import Statistics

log = logging.getLogger(__name__)

#: Report updates: ``?known=<partition>:<source>:<revision>,...`` (see app.queries.peer_reports).
REPORTS_PATH: Final = "/api/internal/reports"
CUSTOMER_PATH: Final = "/api/internal/customers/"
PEER_TIMEOUT: Final = aiohttp.ClientTimeout(total=5)


class Cluster:
    """The statistics of all partitions, as seen from this worker."""

    def __init__(
        self,
        app: faust.App,
        statistics: Statistics,
        topics: tuple[str, str],
        partition_count: int,
        internal_token: str = "",
    ) -> None:
        self.app = app
        self.statistics = statistics
        #: The input topics: customer events, order events (co-partitioned).
        self.topics = topics
        self.topic = topics[0]
        self.partition_count = partition_count
        self.peer_headers = authorization(internal_token)

    def owned_partitions(self) -> list[int]:
        """Input partitions this worker processes and has fully recovered, else none."""
        if self.app.rebalancing or self.app.in_recovery:
            return []
        return sorted(
            tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.topic
        )

    def known_highwater(self, tp: TP) -> int | None:
        """The log end offset of ``tp`` as of the consumer's last fetch, if it has one."""
        try:
            highwater = self.app.consumer.highwater(tp)
        except (AssertionError, ConsumerNotStarted):  # not (yet) assigned or started
            return None
        return None if highwater is None else int(highwater)

    async def lags(self, partitions: list[int]) -> dict[int, int]:
        """Messages of each of ``partitions`` (owned here), of both topics, not yet processed.

        End offsets come from the consumer's last fetch when it has them: asking
        the broker instead waits behind the consumer's long-polling fetch (up to
        1.5 s while no events arrive). The lag is then as of the last fetch,
        which is at most that old. The start offset only matters for a
        partition with messages of which none has been processed yet.
        """
        customers, orders = self.topics
        tps = [TP(topic, partition) for topic in self.topics for partition in partitions]
        known = {tp: value for tp in tps if (value := self.known_highwater(tp)) is not None}
        if len(known) == len(tps):
            highwaters = known
        else:
            highwaters = dict(await self.app.consumer.highwaters(*tps))
        offsets = {}
        for partition in partitions:
            stats = self.statistics.partition(partition)
            offsets[TP(customers, partition)] = stats.offset
            offsets[TP(orders, partition)] = stats.order_offset
        unstarted = [tp for tp in tps if highwaters[tp] > 0 and offsets[tp] == NOTHING_PROCESSED]
        log_starts = dict(await self.app.consumer.earliest_offsets(*unstarted)) if unstarted else {}
        lags = dict.fromkeys(partitions, 0)
        for tp in tps:
            start = log_starts.get(tp, 0) if offsets[tp] == NOTHING_PROCESSED else offsets[tp] + 1
            lags[tp.partition] += max(0, highwaters[tp] - start)
        return lags

    async def customer(self, customer_id: str) -> CustomerState | None:
        """The newest known state of a customer, from the worker that owns its partition.

        Its partition is the one Kafka's default partitioner (murmur2 of the key,
        as in Java clients, aiokafka and the Customer service) picks. Only when
        that worker does not know the customer are the others asked: a producer
        with another partitioner (librdkafka's default) puts keys elsewhere.
        """
        state = self.statistics.customer(customer_id)
        if state is not None:
            return state
        owner = self.owner_url(default_partition(customer_id.encode(), self.partition_count))
        first = [owner] if owner is not None and owner != self.own_url else []
        found = await self._customer_from(first, customer_id)
        if found is None:
            others = [url for url in self.peer_urls() if url not in first]
            found = await self._customer_from(others, customer_id)
        return found

    async def _customer_from(self, urls: list[str], customer_id: str) -> CustomerState | None:
        path = customer_path(customer_id)
        answers = await asyncio.gather(*(self.get(url + path, {}) for url in urls))
        known = [CustomerState.from_json(answer["state"]) for answer in answers if answer]
        return max(known, key=lambda state: state.version) if known else None

    @property
    def own_url(self) -> str:
        return str(self.app.conf.canonical_url).rstrip("/")

    def owner_url(self, partition: int) -> str | None:
        """Web URL of the worker that owns ``partition`` of the input, if the assignment says."""
        metadata: Mapping[str, Mapping[str, list[int]]] = self.app.router.external_topics_metadata()
        for url, topics in metadata.items():
            if partition in topics.get(self.topic, ()):
                return url.rstrip("/")
        return None

    def peer_urls(self) -> list[str]:
        """Web URLs of the other workers that own partitions."""
        urls = {url.rstrip("/") for url in self.app.router.tables_metadata()}
        return sorted(urls - {self.own_url})

    async def get(
        self,
        url: str,
        query: dict[str, str],
        wait: aiohttp.ClientTimeout = PEER_TIMEOUT,
        log_failure: bool = True,
    ) -> dict[str, Any] | None:
        """GET a peer's internal JSON (``url`` already escaped); None when it has nothing."""
        try:
            async with self.app.http_client.get(
                URL(url, encoded=True),
                params=query,
                headers=self.peer_headers,
                timeout=wait,
            ) as reply:
                if reply.status == HTTPStatus.UNAUTHORIZED:
                    log.warning("Worker at %s refused this worker's OLF_INTERNAL_TOKEN", url)
                if reply.status != HTTPStatus.OK:
                    return None
                body: dict[str, Any] = orjson.loads(await reply.read())
                return body
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            if log_failure:
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


def default_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner puts ``key`` in (murmur2, as Java's)."""
    return (int(murmur2(key)) & 0x7FFFFFFF) % partitions
