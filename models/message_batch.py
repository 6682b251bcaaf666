"""A batch of one partition's input messages, as the agent receives them.

OLF's consumer hands the agent everything it fetched of one partition at once
(see :mod:`app.workarounds.batch_delivery`), in offset order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faust.types.tuples import Message


@dataclass(frozen=True, slots=True)
class MessageBatch:
    """Messages of ``topic`` partition ``partition``, ascending by offset."""

    topic: str
    partition: int
    messages: Sequence[Message]
    #: The consumer group generation they were fetched in (stale after a rebalance).
    generation_id: int = 0

    def __len__(self) -> int:
        return len(self.messages)
