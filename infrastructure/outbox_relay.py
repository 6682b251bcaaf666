"""The outbox relay: publishes a service's pending outbox events to its topic.

Each service runs one beside its API over its own :class:`~infrastructure.outbox.Outbox`
and topic (the Customer service to ``customer-events``, the Orders service to
``order-events``). Guarantees (docs/customer-service.md, "Outbox guarantees"):

- **Nothing is lost.** An event is marked sent only after the broker
  acknowledged it (``acks=all``); until then it stays pending and is sent
  again, after a failure or a restart.
- **Order per key.** All events of a key go to one partition, and a key's
  next event is sent only once the previous one is acknowledged (see
  :meth:`infrastructure.outbox.Outbox.next_batch`).
- **Duplicates only after a crash.** The idempotent producer removes its own
  retries; a relay killed (or a database write failing) between the
  acknowledgement and the mark re-sends at most that batch: byte-identical
  messages with the same ``event_id``, which OLF's version rule ignores.
- **Outages are waited out.** Any failure (broker down, timeout, database
  busy) drops the producer and retries with exponential backoff; the API
  keeps accepting changes meanwhile.
- **Sent events are pruned.** When idle, at most every
  :data:`PRUNE_INTERVAL` seconds, the relay deletes the events acknowledged
  more than ``outbox_retention`` seconds ago (0: never), so the outbox does
  not grow without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from aiokafka import AIOKafkaProducer

from infrastructure import environment
from infrastructure.database import Database
from infrastructure.environment import SettingsError, positive_finite
from infrastructure.outbox import Acknowledged, Outbox, OutboxEntry

logger = logging.getLogger(__name__)

#: Seconds between two prunings of sent events.
PRUNE_INTERVAL: Final = 60.0

#: How each service reads the relay's settings from its ``<PREFIX><FIELD>`` variables.
RELAY_CONVERTERS: Final[dict[str, environment.Converter]] = {
    "relay_enabled": environment.flag,
    "relay_batch_size": environment.integer,
    "relay_backoff_initial": environment.seconds,
    "relay_backoff_max": environment.seconds,
    "relay_poll_interval": environment.seconds,
    "relay_request_timeout": environment.seconds,
    "outbox_retention": environment.seconds,
}


class RelaySettings(Protocol):
    """What the relay reads of a service's settings (both services' ``Settings`` have it)."""

    @property
    def topic(self) -> str: ...
    @property
    def bootstrap_servers(self) -> str: ...
    @property
    def relay_batch_size(self) -> int: ...
    @property
    def relay_backoff_initial(self) -> float: ...
    @property
    def relay_backoff_max(self) -> float: ...
    @property
    def relay_poll_interval(self) -> float: ...
    @property
    def relay_request_timeout(self) -> float: ...
    @property
    def outbox_retention(self) -> float: ...


def validate_relay_settings(settings: RelaySettings, env_var_name: Callable[[str], str]) -> None:
    """Refuse relay settings out of range, naming the variable (``env_var_name(field)``).

    Raises:
        SettingsError: a batch size below 1, a duration not > 0, a negative or
            infinite retention, or a maximum backoff below the initial one.
    """
    if settings.relay_batch_size < 1:
        raise SettingsError(f"{env_var_name('relay_batch_size')} must be >= 1")
    for name in (
        "relay_backoff_initial",
        "relay_backoff_max",
        "relay_poll_interval",
        "relay_request_timeout",
    ):
        if not positive_finite(getattr(settings, name)):
            raise SettingsError(f"{env_var_name(name)} must be > 0")
    if not 0 <= settings.outbox_retention < float("inf"):
        raise SettingsError(f"{env_var_name('outbox_retention')} must be >= 0")
    if settings.relay_backoff_max < settings.relay_backoff_initial:
        raise SettingsError(
            f"{env_var_name('relay_backoff_max')} must be >= "
            f"{env_var_name('relay_backoff_initial')}"
        )


class Publisher(Protocol):
    """Sends outbox entries to the broker and reports each one's fate."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, entries: Sequence[OutboxEntry]) -> list[Acknowledged | Exception]:
        """Send ``entries`` in order; per entry its acknowledgement or the error that failed it."""
        ...


class KafkaPublisher:
    """Publishes to one topic with an idempotent producer that waits for all in-sync replicas.

    One round waits at most ``relay_request_timeout`` for its acknowledgements.
    aiokafka's idempotent producer never gives a batch up (it retries until the
    broker is back), which is right for a producer that lives on, but would
    hold the relay in one round for a whole outage. So a round that runs out
    of time reports its unacknowledged entries as failed, and :meth:`stop` then
    discards the producer *without* delivering what it still holds: those
    entries stay pending and a new producer sends them again, in order.
    """

    def __init__(self, settings: RelaySettings, client_id: str) -> None:
        self._topic = settings.topic
        self._round_timeout = settings.relay_request_timeout
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=int(settings.relay_request_timeout * 1000),
            linger_ms=5,
        )
        self._holds_undelivered = False

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        if self._holds_undelivered:
            await self._discard()
        else:
            await self._producer.stop()

    async def publish(self, entries: Sequence[OutboxEntry]) -> list[Acknowledged | Exception]:
        # aiokafka is untyped: a delivery future resolves to a RecordMetadata.
        deliveries: dict[int, asyncio.Future[Any]] = {}
        refused: dict[int, Exception] = {}
        # Until every delivery is settled (also if this round is cancelled), the
        # producer may hold undelivered messages.
        self._holds_undelivered = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._round_timeout):
                for index, entry in enumerate(entries):
                    try:
                        deliveries[index] = await self._producer.send(
                            self._topic, value=entry.payload, key=entry.key
                        )
                    except Exception as exc:  # e.g. no metadata in time: the broker is away
                        refused[index] = exc
                if deliveries:
                    await asyncio.wait(deliveries.values())
        results: list[Acknowledged | Exception] = []
        for index, entry in enumerate(entries):
            delivery = deliveries.get(index)
            if delivery is None or not delivery.done():
                results.append(
                    refused.get(index)
                    or TimeoutError(f"not acknowledged within {self._round_timeout:g}s")
                )
            elif (error := delivery.exception()) is not None:
                results.append(error if isinstance(error, Exception) else RuntimeError(error))
            else:
                metadata = delivery.result()
                results.append(Acknowledged(entry.id, metadata.partition, metadata.offset))
        self._holds_undelivered = not all(delivery.done() for delivery in deliveries.values())
        return results

    async def _discard(self) -> None:
        # aiokafka's stop() would first flush, i.e. wait for the broker for as
        # long as it is away. Cancel the sender and close the connections
        # instead, so nothing this producer still holds can arrive later,
        # after the new producer re-sent it. (Internals of aiokafka 0.14,
        # which pyproject.toml pins below 0.15.)
        producer = self._producer
        producer._closed = True
        if producer._sender is not None:
            await producer._sender.close()
        await producer.client.close()


@dataclass(slots=True)
class RelayState:
    """What ``GET /status`` shows about the relay."""

    running: bool = False
    connected: bool = False
    published: int = 0
    pruned: int = 0
    failures: int = 0
    last_error: str | None = None


class OutboxRelay:
    """Publishes ``outbox`` until stopped; wake it after a change to publish at once.

    ``publisher_factory`` replaces the Kafka publisher (whose producer calls
    itself ``client_id``), for tests without a broker.
    """

    def __init__(
        self,
        database: Database,
        outbox: Outbox,
        settings: RelaySettings,
        publisher_factory: Callable[[], Publisher] | None = None,
        client_id: str = "outbox-relay",
    ) -> None:
        self._database = database
        self._outbox = outbox
        self._batch_size = settings.relay_batch_size
        self._backoff_initial = settings.relay_backoff_initial
        self._backoff_max = settings.relay_backoff_max
        self._poll_interval = settings.relay_poll_interval
        self._retention = settings.outbox_retention
        self._last_prune: float | None = None
        self._new_publisher = publisher_factory or (lambda: KafkaPublisher(settings, client_id))
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.state = RelayState()

    def wake(self) -> None:
        """A change was committed: look at the outbox now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Ask :meth:`run` to return after the round in progress."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Publish until :meth:`stop`; rows written by other processes are found by polling."""
        publisher: Publisher | None = None
        backoff = self._backoff_initial
        self.state.running = True
        try:
            while not self._stopping.is_set():
                try:
                    if publisher is None:
                        publisher = self._new_publisher()
                        await publisher.start()
                        self.state.connected = True
                        logger.info("relay connected to the broker")
                    if await self.publish_round(publisher) == 0:
                        await self.prune_if_due()
                        await _wait(self._wake, self._poll_interval)
                    backoff = self._backoff_initial
                except Exception as exc:
                    self.state.failures += 1
                    self.state.last_error = _describe(exc)
                    logger.warning("relay: %s; retrying in %.1fs", self.state.last_error, backoff)
                    if publisher is not None:
                        await _stop_quietly(publisher)
                        publisher = None
                        self.state.connected = False
                    # Changes keep coming during an outage: only stop cuts the backoff short.
                    await _wait(self._stopping, backoff)
                    backoff = min(backoff * 2, self._backoff_max)
        finally:
            if publisher is not None:
                await _stop_quietly(publisher)
            self.state.running = False
            self.state.connected = False

    async def publish_round(self, publisher: Publisher) -> int:
        """Publish one batch; return how many events it took (0: nothing pending).

        Raises:
            RelayError: some entries were not acknowledged (those that were are marked sent).
        """
        self._wake.clear()  # before reading: a change committed from now on wakes the next round
        entries = await self._outbox.next_batch(self._database, self._batch_size)
        if not entries:
            return 0
        results = await publisher.publish(entries)
        acknowledged = [result for result in results if isinstance(result, Acknowledged)]
        await self._outbox.mark_sent(self._database, acknowledged)
        self.state.published += len(acknowledged)
        failures = [result for result in results if isinstance(result, Exception)]
        if failures:
            raise RelayError(
                f"{len(failures)} of {len(entries)} events not acknowledged: {failures[0]!r}"
            )
        return len(entries)

    async def prune_if_due(self) -> int:
        """Delete the sent events older than the retention, unless pruned recently.

        Returns how many were deleted.
        """
        now = time.monotonic()
        if not self._retention or (
            self._last_prune is not None and now - self._last_prune < PRUNE_INTERVAL
        ):
            return 0
        self._last_prune = now
        cutoff = datetime.now(UTC) - timedelta(seconds=self._retention)
        pruned = await self._outbox.prune_sent(self._database, cutoff)
        self.state.pruned += pruned
        if pruned:
            logger.info("relay: pruned %d events sent before %s", pruned, cutoff.isoformat())
        return pruned


class RelayError(RuntimeError):
    """The broker did not acknowledge every event of a batch."""


def _describe(exc: Exception) -> str:
    text, name = str(exc), type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


async def _stop_quietly(publisher: Publisher) -> None:
    try:
        await publisher.stop()
    except Exception as exc:  # the producer may be half started; it is dropped either way
        logger.debug("relay: stopping the producer failed: %r", exc)
