"""A producer buffer whose flush really drains it: a workaround for a faust-streaming bug.

Table writes reach Kafka through Faust's ``ProducerBuffer``. Faust flushes the
producer before it commits input offsets, so that no event is committed before
its changelog writes are sent. But ``ProducerBuffer.flush()`` in
faust-streaming 0.15 gives up as soon as 0.1 s pass without a message leaving
the buffer, with messages still in it; and on stop the task that sends them
ends as soon as the worker stops. A commit could therefore cover events whose
changelog writes were still buffered, and a stop could drop those writes.
:class:`DrainingProducerBuffer` returns from ``flush()`` only when every
buffered message has been handed to the Kafka producer, whose own flush then
waits for the broker's acknowledgements.
"""

from __future__ import annotations

import asyncio
import contextlib

from faust.transport.producer import ProducerBuffer
from faust.types.tuples import FutureMessage


class DrainingProducerBuffer(ProducerBuffer):
    """A :class:`ProducerBuffer` whose :meth:`flush` waits until it is empty."""

    #: Messages taken from the queue whose hand-over has not finished yet.
    in_flight: int = 0

    async def _send_pending(self, fut: FutureMessage) -> None:
        self.in_flight += 1
        try:
            await super()._send_pending(fut)
        finally:
            self.in_flight -= 1

    async def flush(self) -> None:
        """Hand every buffered message to the producer, in order, then return."""
        while self.size or self.in_flight:
            if self.should_stop and not self.in_flight:
                # The sending task ends once the buffer stops: send the rest here.
                await self._send_pending(self.pending.get_nowait())
                continue
            self.message_sent.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.message_sent.wait(), timeout=0.1)
