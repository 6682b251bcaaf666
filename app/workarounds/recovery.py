"""Table recovery that seeks the input back first, and applies changelog fetches whole.

Two workarounds for faust-streaming 0.15's ``faust.tables.recovery.Recovery``.

**The input is sought back before it is delivered.**

When a worker finishes restoring its tables after a rebalance, faust-streaming
0.15 resumes the input partitions, seeks them to their committed offsets, and
then resumes flow control, which clears the streams' queues. But flow control
is already active at that point (recovery turned it on to read the changelog),
so messages fetched between the resume and the end of the seek reach the
agent or its queue at once. The queued ones are then cleared without being
acknowledged, while the consumer's read offset has moved past them, so their
re-fetch is dropped as already read: the agent never sees them, and the
committed offset sticks in front of them. The fault tests saw exactly that:
after a restart, one or two events missing per partition where it resumed.

:class:`SeekFirstRecovery` suspends flow control before Faust resumes the
input, so nothing is delivered until the seek is done; Faust's own
``flow_control.resume()`` at the end lets the messages through, in offset order
from the committed offset. Messages already waiting for flow control are
delivered then, not dropped (the queues are cleared before they are put), and
the consumer flow itself is left alone, so no fetched standby changelog
message is abandoned.

**Changelog records are applied a fetch at a time.** Faust's recovery takes
changelog events one by one from a queue (``_slurp_changelogs``: an
``asyncio.wait_for`` task per event, and the remaining count recomputed after
each), which restored about 6,000 rows/s here. OLF's consumer hands recovery
everything fetched of a changelog partition at once
(:mod:`app.workarounds.batch_delivery`); :meth:`BatchRecovery.apply_changelog_records`
writes it to the store in one batch, keeps Faust's offsets, and ends recovery
when the active partitions reach their end, as Faust's loop does. That loop
is replaced by an idle task (it would clear the end-of-recovery signal while
nothing reaches it), and the signal is cleared when a recovery starts instead.
``tests/unit/test_recovery.py`` shows both workarounds beside Faust's behaviour.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from time import monotonic
from typing import Any, Protocol, cast

from faust.tables import TableManager
from faust.tables.recovery import Recovery
from faust.types import TP
from mode import Service

log = logging.getLogger(__name__)


class RestorableTable(Protocol):
    """A table that restores a fetched batch of changelog records at once."""

    def apply_changelog_records(self, partition: int, records: Sequence[Any]) -> int:
        """Apply the records in offset order; return the rows written."""


class SeekFirstRecovery(Recovery):
    """Faust's :class:`Recovery`, holding delivery until the input is sought back."""

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        self.app.flow_control.suspend()
        await super().on_recovery_completed(generation_id)

    async def _resume_streams(self, generation_id: int = 0) -> None:
        self.app.flow_control.suspend()
        await super()._resume_streams(generation_id)


class BatchRecovery(SeekFirstRecovery):
    """:class:`SeekFirstRecovery` that applies whole changelog fetches (see the module)."""

    #: Changelog rows applied since the worker started, for ``/metrics``.
    rows_applied: int = 0

    async def on_rebalance(
        self,
        assigned: set[TP],
        revoked: set[TP],
        newly_assigned: set[TP],
        generation_id: int = 0,
    ) -> None:
        # The recovery about to start ends only when its partitions are read.
        self.signal_recovery_end.clear()
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)

    @Service.task
    async def _slurp_changelogs(self) -> None:
        """Replaces Faust's per-event loop, which would clear the end-of-recovery signal.

        Nothing reaches its queue any more; changelog fetches arrive through
        :meth:`apply_changelog_records`.
        """
        await self.wait_until_stopped()

    def apply_changelog_records(self, tp: TP, records: Sequence[Any]) -> None:
        """Apply records fetched from changelog partition ``tp`` (active or standby)."""
        if tp in self.active_tps:
            offsets, received = self.active_offsets, self._active_events_received_at
        elif tp in self.standby_tps:
            offsets, received = self.standby_offsets, self._standby_events_received_at
        else:
            log.warning("Changelog records of %r, which is neither active nor standby", tp)
            return
        seen = offsets.get(tp)
        fresh = [record for record in records if seen is None or record.offset > seen]
        if fresh:
            table = cast(RestorableTable, self.tp_to_table[tp])
            self.rows_applied += table.apply_changelog_records(tp.partition, fresh)
            offsets[tp] = fresh[-1].offset
            received[tp] = monotonic()
        if self.in_recovery and not self.need_recovery():
            self._set_recovery_ended()
            self.signal_recovery_end.set()
        if not self.tables.standbys_ready and not self.standby_remaining_total():
            self.tables.on_standbys_ready()


class SeekFirstTableManager(TableManager):
    """Faust's :class:`TableManager`, recovering with :class:`BatchRecovery`."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = BatchRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
