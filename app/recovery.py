"""Table recovery that seeks the input back before delivering it: a faust-streaming bug workaround.

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
"""

from __future__ import annotations

from faust.tables import TableManager
from faust.tables.recovery import Recovery


class SeekFirstRecovery(Recovery):
    """Faust's :class:`Recovery`, holding delivery until the input is sought back."""

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        self.app.flow_control.suspend()
        await super().on_recovery_completed(generation_id)

    async def _resume_streams(self, generation_id: int = 0) -> None:
        self.app.flow_control.suspend()
        await super()._resume_streams(generation_id)


class SeekFirstTableManager(TableManager):
    """Faust's :class:`TableManager`, recovering with :class:`SeekFirstRecovery`."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SeekFirstRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
