"""After recovery, no input message may reach the agent before the seek to committed offsets.

Faust resumes the input partitions, seeks them, then resumes flow control. If
flow control is already active when the partitions resume, messages fetched
from the old position reach the streams during the seek; see app.workarounds.recovery.
"""

from __future__ import annotations

from collections.abc import Callable

import faust
from faust.tables.recovery import Recovery
from faust.types import TP

from app.factory import Olf
from app.workarounds.recovery import SeekFirstRecovery, SeekFirstTableManager

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
