"""The merged statistics, published by Faust's leader to a compacted topic.

What: the live stream's snapshot (:func:`app.queries.live_stats.live_snapshot` of
the worker's merged view, the very object ``GET /api/stream`` sends as its
``snapshot`` event) in an envelope, as one message of UTF-8 JSON::

    key    b"statistics"   (:data:`KEY`, always: compaction keeps the newest)
    value  {"format": 1, "worker": "http://10.0.0.5:6066",
            "published_at": "2026-11-26T10:15:42.123456Z", "statistics": {snapshot}}

``worker`` is the publishing worker's URL as the workers know each other
(``OLF_WEB_HOST``/``OLF_WEB_PORT``); ``published_at`` its wall clock.

When: every :data:`CHECK_EVERY` seconds the worker compares the view's snapshot
with the one it last published, so an unchanged view costs one identity check
(the view builds one snapshot object per version). A changed snapshot is
published at once, or, within :data:`PUBLISH_EVERY` of this worker's previous
attempt, as soon as that second is up, with the then-newest snapshot: at most
one message a second, and once the statistics stop changing the newest message
holds them. Nothing changed: nothing is published. Within that second the view
is not even read, so a busy view costs about one snapshot build a second.

Only complete snapshots (``as_of.complete`` true) are published. A subscriber
typically reads only the newest message, which compaction keeps; a partial sum
(five partitions of eight while workers rebalance) would read as customers
lost. While the view is incomplete the topic keeps the last complete snapshot,
and its ``published_at`` tells how old it is.

Who: one worker, Faust's leader (``app.is_leader()``: the worker assigned the
one partition of ``<app id>-__assignor-__leader``), and not while it
rebalances. Leadership moves only with a rebalance's assignment; aiokafka keeps
a worker's old assignment until the new one arrives, but ``app.rebalancing``
is set when partitions are revoked, at the start of every rebalance, so the
old leader stops then, and the new one starts once it has recovered its
tables (Faust's ``on_rebalance_end``). A worker that regains leadership
publishes its snapshot even if it has not changed since its own last message,
so that the newest message is the current leader's. Overlap remains possible
only for a worker that lost its group membership without noticing yet (frozen
for longer than ``OLF_BROKER_SESSION_TIMEOUT``): until its next heartbeat
fails it still holds the old assignment. What it publishes meanwhile is a
complete snapshot of its own view, and ``worker`` tells the two apart.

Delivery: through an idempotent ``acks=all`` producer of OLF's own
(:class:`tables.durable_producer.DurableProducer`); a send that fails is
retried, with the newest snapshot, at the next step. A send the broker holds
up (an outage) while leadership moves can land after the new leader's first
message; its older ``published_at`` shows it, and the next change replaces it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import faust
import orjson
from faust.exceptions import ConsumerNotStarted

from app.queries.live_stats import Snapshot, live_snapshot
from app.queries.merged_view import MergedView, repeat
from app.workarounds.topics import TopicSpec
from infrastructure.timestamps import rfc3339
from tables.durable_producer import DurableProducer

#: The key of every message: one key, so compaction keeps only the newest.
KEY: Final = b"statistics"
#: The envelope's version; a change a subscriber must know of gets a new one.
FORMAT: Final = 1
#: Seconds between two publications of one worker, at least.
PUBLISH_EVERY: Final = 1.0
#: Seconds between two looks at the view (its own reports refresh as often).
CHECK_EVERY: Final = 0.1
#: Kafka compacts only closed segments, and closes one after 7 days or 1 GiB by
#: default: days of snapshots that a new subscriber would read through. Ten
#: minutes bounds that to about 600 messages.
SEGMENT_MS: Final = 10 * 60 * 1000
#: The live stream's cache key in the view (app.web.stream), so that both share one build.
LIVE_ANSWER: Final = "live"


def statistics_topic_spec(name: str, replication_configs: Mapping[str, str]) -> TopicSpec:
    """The statistics topic: compacted, one partition (one key), with OLF's replication configs."""
    return TopicSpec(
        name,
        1,
        {"cleanup.policy": "compact", "segment.ms": str(SEGMENT_MS), **replication_configs},
    )


def encode(snapshot: Snapshot, worker: str, published_at: datetime) -> bytes:
    """The message value of ``snapshot`` (see the module docstring)."""
    value: dict[str, Any] = {
        "format": FORMAT,
        "worker": worker,
        "published_at": rfc3339(published_at),
        "statistics": snapshot,
    }
    return orjson.dumps(value)


def complete(snapshot: Snapshot) -> bool:
    """The snapshot covers every partition (live_stats' ``as_of.complete``)."""
    return snapshot.get("as_of", {}).get("complete") is True


class StatisticsPublisher:
    """Decides, step by step, whether to publish; see the module docstring for the policy.

    ``read`` returns the current snapshot, the same object while the view is
    unchanged; ``leads`` whether this worker is the one that publishes;
    ``send`` delivers one message value (raising if it could not).
    """

    def __init__(
        self,
        read: Callable[[], Snapshot],
        leads: Callable[[], bool],
        send: Callable[[bytes], Awaitable[None]],
        worker: Callable[[], str],
        *,
        every: float = PUBLISH_EVERY,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.read = read
        self.leads = leads
        self.send = send
        self.worker = worker
        self.every = every
        self.clock = clock
        self.wall_clock = wall_clock
        #: Messages this worker published since it started.
        self.published = 0
        #: Whether this worker led at its last step.
        self.leading = False
        self._last: Snapshot | None = None
        self._last_seen: Snapshot | None = None
        self._last_attempt = -float("inf")

    async def step(self) -> bool:
        """Publish the current snapshot if the policy says so; True when a message was sent.

        Raises what ``send`` raises; the next step tries again.
        """
        self.leading = self.leads()
        if not self.leading:
            # Another worker's message may be the newest now: when this one
            # leads again, it publishes even an unchanged snapshot.
            self._last = self._last_seen = None
            return False
        if self.clock() - self._last_attempt < self.every:
            # Not even read: while events stream in, the view changes every step, and
            # its snapshot is built only when read (or for the live stream's clients).
            return False
        snapshot = self.read()
        if snapshot is self._last_seen:
            return False
        if not complete(snapshot) or snapshot == self._last:
            self._last_seen = snapshot
            return False
        self._last_attempt = self.clock()
        await self.send(encode(snapshot, self.worker(), self.wall_clock()))
        self._last = self._last_seen = snapshot
        self.published += 1
        return True


def leads(app: faust.App) -> bool:
    """This worker is Faust's leader and no rebalance is under way (see the module docstring)."""
    if app.rebalancing:
        return False
    try:
        return bool(app.is_leader())
    except ConsumerNotStarted:  # not yet in the group
        return False


def declare_statistics_publisher(
    app: faust.App, view: MergedView, producer: DurableProducer, topic: str
) -> StatisticsPublisher:
    """Publish ``view``'s statistics to ``topic`` while ``app`` runs (one Faust task per worker).

    ``producer`` must be started and stopped with the app (``OlfApp.durable_producers``).
    """

    async def send(value: bytes) -> None:
        await producer.producer.send_and_wait(topic, value=value, key=KEY)

    def read() -> Snapshot:
        snapshot: Snapshot = view.answer(LIVE_ANSWER, live_snapshot).value
        return snapshot

    publisher = StatisticsPublisher(read, lambda: leads(app), send, lambda: view.cluster.own_url)

    async def publish_statistics() -> None:
        await repeat(
            f"publish the statistics to {topic}",
            CHECK_EVERY,
            publisher.step,
            lambda: bool(app.should_stop),
        )

    app.task(publish_statistics)
    return publisher
