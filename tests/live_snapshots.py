"""The client side of the live stream: Server-Sent Events parsed, deltas applied."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from app.queries.live_stats import Snapshot


def apply_delta(snapshot: Snapshot, changes: Snapshot) -> Snapshot:
    """``snapshot`` with ``changes`` applied as the contract says; the inputs stay as they are."""
    updated = {section: dict(parts) for section, parts in snapshot.items()}
    for section, parts in changes.items():
        updated.setdefault(section, {}).update(parts)
    return updated


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event of a ``text/event-stream``; comments are kept as ``event == "comment"``."""

    event: str
    id: str | None
    data: str

    def json(self) -> Any:
        return orjson.loads(self.data)


async def parse_events(lines: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """Events of a stream of lines, per the WHATWG format (``retry`` lines are skipped)."""
    fields: dict[str, list[str]] = {}
    async for raw in lines:
        line = raw.decode().rstrip("\r\n")
        if not line:
            if fields:
                yield ServerSentEvent(
                    event=fields.get("event", ["message"])[-1],
                    id=fields["id"][-1] if "id" in fields else None,
                    data="\n".join(fields.get("data", [])),
                )
            fields = {}
        elif line.startswith(":"):
            yield ServerSentEvent(event="comment", id=None, data=line[1:].strip())
        else:
            name, _, value = line.partition(":")
            if name != "retry":
                fields.setdefault(name, []).append(value.removeprefix(" "))
