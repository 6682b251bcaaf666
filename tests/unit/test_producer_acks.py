"""Every producer that writes what must not be lost waits for all in-sync replicas (``acks=all``).

Read from the aiokafka producers themselves, as they are built, not from
OLF's arguments: aiokafka turns ``acks="all"`` into -1 and keeps it in its
sender; an idempotent producer has a transaction manager (its sequence numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from app.factory import Olf, OlfApp
from customer_service.settings import Settings as ServiceSettings
from infrastructure.outbox_relay import KafkaPublisher
from tables.checkpoint import ChangelogWriter

ALL_IN_SYNC_REPLICAS = -1


def acks(producer: AIOKafkaProducer) -> Any:
    return producer._sender._acks


def idempotent(producer: AIOKafkaProducer) -> bool:
    return producer._txn_manager is not None


async def test_faust_s_own_producer_waits_for_all_replicas_but_is_not_idempotent(
    olf_factory: Callable[..., Olf],
) -> None:
    # faust-streaming 0.15: Producer.__init__ takes acks from conf.producer_acks, whose
    # default is -1 (faust/types/settings/settings.py), and _settings_extra() adds
    # enable_idempotence only inside a transaction. OLF sends its changelog and dead
    # letters through producers of its own (below), not through this one.
    app = olf_factory().app
    assert app.conf.producer_acks == ALL_IN_SYNC_REPLICAS

    faust_producer: Any = app.producer  # faust.transport.drivers.aiokafka.Producer
    producer = faust_producer._new_producer()

    assert acks(producer) == ALL_IN_SYNC_REPLICAS
    assert not idempotent(producer)
    await producer.stop()  # never started: closes nothing but its own state


async def test_olf_s_own_producers_are_idempotent_and_wait_for_all(
    olf_factory: Callable[..., Olf], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def connect_nowhere(self: AIOKafkaProducer) -> None: ...

    monkeypatch.setattr(AIOKafkaProducer, "start", connect_nowhere)
    app = olf_factory().app
    assert isinstance(app, OlfApp)
    assert app.checkpointer is not None
    assert isinstance(app.checkpointer.writer, ChangelogWriter)
    changelog = app.checkpointer.writer.durable
    assert changelog in app.durable_producers
    # The changelog's, the dead letters' and the statistics topic's.
    assert len(app.durable_producers) == 3

    for durable in app.durable_producers:
        await durable.start()
        assert acks(durable.producer) == ALL_IN_SYNC_REPLICAS
        assert idempotent(durable.producer)
        await durable.stop()


async def test_the_customer_service_relay_is_idempotent_and_waits_for_all() -> None:
    publisher = KafkaPublisher(ServiceSettings(), "customer-service-relay")

    assert acks(publisher._producer) == ALL_IN_SYNC_REPLICAS
    assert idempotent(publisher._producer)
    await publisher.stop()
