"""Recovery: the input is sought back before delivery, and changelog fetches are applied whole.

After recovery, no input message may reach the agent before the seek to committed offsets.

Faust resumes the input partitions, seeks them, then resumes flow control. If
flow control is already active when the partitions resume, messages fetched
from the old position reach the streams during the seek; see app.workarounds.recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from types import SimpleNamespace

import faust
from faust.tables.recovery import Recovery
from faust.types import TP

from app.factory import Olf
from app.workarounds.recovery import BatchRecovery, SeekFirstRecovery, SeekFirstTableManager
from models.message_batch import KafkaRecord

INPUT = TP("customer-events", 0)


class RecordingConsumer:
    """Just the consumer calls that ending a recovery makes; notes when delivery was open."""

    def __init__(self, app: faust.App) -> None:
        self.app = app
        self.calls: list[tuple[str, bool]] = []

    def _note(self, call: str) -> None:
        self.calls.append((call, self.app.flow_control.is_active()))

    def assignment(self) -> set[TP]:
        return {INPUT}

    def resume_partitions(self, partitions: set[TP]) -> None:
        self._note("resume input")

    async def perform_seek(self) -> None:
        self._note("seek to committed")

    def resume_flow(self) -> None:
        self._note("resume flow")


class IdleFetcher:
    async def maybe_start(self) -> None:
        pass


async def calls_ending_recovery(olf: Olf, recovery_class: type[Recovery]) -> list[tuple[str, bool]]:
    """Run ``recovery_class.on_recovery_completed`` while recovery left flow control active."""
    app = olf.app
    consumer = RecordingConsumer(app)
    app.consumer = consumer  # type: ignore[assignment]
    app._fetcher = IdleFetcher()  # type: ignore[assignment]
    recovery = recovery_class(app, app.tables)
    app.flow_control.resume()  # as recovery leaves it, having read the changelog
    await recovery.on_recovery_completed(generation_id=app.consumer_generation_id)
    return consumer.calls


async def test_faust_resumes_the_input_while_delivery_is_open(
    olf_factory: Callable[..., Olf],
) -> None:
    calls = await calls_ending_recovery(olf_factory(), Recovery)
    assert calls[0] == ("resume input", True), (
        "if this fails, faust-streaming changed how recovery ends: review app.workarounds.recovery"
    )


async def test_olf_opens_delivery_only_after_the_seek(olf_factory: Callable[..., Olf]) -> None:
    olf = olf_factory()
    assert isinstance(olf.app.tables, SeekFirstTableManager)
    assert isinstance(olf.app.tables.recovery, SeekFirstRecovery)
    calls = await calls_ending_recovery(olf, SeekFirstRecovery)
    assert calls == [
        ("resume input", False),
        ("seek to committed", False),
        ("resume flow", True),
    ]


CHANGELOG = TP("olf-statistics-changelog", 0)


async def test_faust_clears_the_end_of_recovery_signal_as_its_loop_goes_round(
    olf_factory: Callable[..., Olf],
) -> None:
    app = olf_factory().app
    recovery = Recovery(app, app.tables)
    recovery.signal_recovery_end.set()  # as if the last changelog batch had just ended it
    loop = asyncio.create_task(Recovery._slurp_changelogs(recovery))
    await asyncio.sleep(0.05)
    loop.cancel()
    assert not recovery.signal_recovery_end.is_set(), (
        "if this fails, faust-streaming changed its changelog loop: review app.workarounds.recovery"
    )


def records(offsets: range) -> list[SimpleNamespace]:
    return [SimpleNamespace(offset=o, key=f"customer/c{o}".encode(), value=b"[1]") for o in offsets]


async def test_olf_applies_a_changelog_fetch_at_once_and_ends_recovery_at_its_end(
    olf_factory: Callable[..., Olf],
) -> None:
    olf = olf_factory()
    app = olf.app
    recovery = app.tables.recovery  # type: ignore[attr-defined]  # TableManager's
    assert isinstance(recovery, BatchRecovery)
    table = olf.statistics.table
    recovery.add_active(table, CHANGELOG)  # to restore: offsets 0-9
    recovery.active_highwaters[CHANGELOG] = 9
    recovery._set_recovery_started()
    writes: list[int] = []
    store = table.store
    apply = store.apply_changelog_records

    def counting_apply(partition: int, fetched: Sequence[KafkaRecord]) -> int:
        writes.append(len(fetched))
        return apply(partition, fetched)

    store.apply_changelog_records = counting_apply  # type: ignore[method-assign,assignment]

    recovery.apply_changelog_records(CHANGELOG, records(range(6)))
    assert (writes, recovery.in_recovery) == ([6], True)
    recovery.apply_changelog_records(CHANGELOG, records(range(4, 10)))  # 4 and 5 again
    assert writes == [6, 4]
    assert not recovery.in_recovery
    assert recovery.signal_recovery_end.is_set()
    assert recovery.active_offsets[CHANGELOG] == 9
    assert store.rows(0).changelog_offset() == 9
    assert store.rows(0).get(b"customer/c9") == b"[1]"
