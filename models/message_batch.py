"""A batch of one partition's input messages, as the agent receives them.

OLF's consumer hands the agent everything it fetched of one partition at once
(see :mod:`app.workarounds.batch_delivery`), in offset order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class KafkaRecord(Protocol):
    """What OLF reads of any Kafka message, input or changelog (aiokafka's records have it)."""

    @property
    def offset(self) -> int: ...

    @property
    def key(self) -> bytes | None: ...

    @property
    def value(self) -> bytes | None: ...


class InputMessage(KafkaRecord, Protocol):
    """What OLF reads of a message: aiokafka's records and Faust's messages both have it.

    The consumer hands the agent aiokafka's records as they are: making a Faust
    message of each cost time, and memory that outlived its batch.
    """

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...


@dataclass(frozen=True, slots=True)
class MessageBatch:
    """Messages of ``topic`` partition ``partition``, ascending by offset."""

    topic: str
    partition: int
    messages: Sequence[InputMessage]
    #: The consumer group generation they were fetched in (stale after a rebalance).
    generation_id: int = 0

    def __len__(self) -> int:
        return len(self.messages)

    def receipt(self) -> BatchReceipt:
        """What acknowledging this batch needs, without keeping its messages alive."""
        return BatchReceipt(
            self.topic, self.partition, self.messages[0].offset, self.messages[-1].offset
        )


@dataclass(frozen=True, slots=True)
class BatchReceipt:
    """A delivered batch to acknowledge: its partition and offset range.

    Offsets in the range that no message had (transaction markers, compacted
    records) are acknowledged too, as Faust does with the gaps it records.
    """

    topic: str
    partition: int
    first_offset: int
    last_offset: int
