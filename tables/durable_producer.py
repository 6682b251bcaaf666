"""A Kafka producer for what must not be lost: OLF's changelog writes and dead letters."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer


class DurableProducer:
    """An aiokafka producer that waits for all in-sync replicas (``acks=all``).

    Idempotent, so a retried request neither duplicates nor reorders messages.
    Each use gets its own: a producer sends one request per broker at a time,
    so dead letters queued behind a checkpoint's megabytes held the agent up.
    """

    def __init__(self, bootstrap_servers: list[str], **options: Any) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.options = options
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # Created here: aiokafka needs the running event loop.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            **self.options,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("the producer has not been started")
        return self._producer
