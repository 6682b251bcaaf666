"""Reconciling a service's database with OLF: asking OLF, and waiting for a quiet moment.

Both sides change while events flow, so a comparison means something only
when every outbox event is published, OLF's answer is complete (all
partitions) with no lag, and nothing changes on either side for ``settle``
seconds. Both services' reconciliations wait for such a moment this way
(:func:`quiet_moment`) and ask OLF the same way (:func:`get_olf_json`,
:func:`why_not_caught_up`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import aiohttp

from infrastructure.outbox import OutboxStatus


class NotReconcilable(RuntimeError):
    """No comparison was possible: OLF did not answer, or no quiet moment came in time."""


class OlfAnswer(Protocol):
    """What OLF answered, comparable with ``==``, and whether it is complete and caught up."""

    @property
    def caught_up(self) -> bool: ...
    @property
    def why_not(self) -> str: ...


S = TypeVar("S")
A = TypeVar("A", bound=OlfAnswer)


async def quiet_moment(
    service_side: Callable[[], Awaitable[tuple[S, OutboxStatus]]],
    olf_side: Callable[[], Awaitable[A]],
    wait: float,
    settle: float,
) -> tuple[S, A]:
    """Both sides as read at the start of a quiet moment, within ``wait`` seconds.

    ``service_side`` reads the service's numbers and its outbox's status in
    one go; ``olf_side`` asks OLF (and raises :class:`NotReconcilable` when it
    does not answer).

    Raises:
        NotReconcilable: no quiet moment within ``wait`` seconds (saying what
            was last in the way), or OLF did not answer.
    """
    deadline = time.monotonic() + wait
    while True:
        before = await service_side()
        olf_before = await olf_side()
        await asyncio.sleep(settle)
        after = await service_side()
        olf_after = await olf_side()
        if before[1].pending:
            reason = f"{before[1].pending} outbox events are not published yet"
        elif before != after:
            reason = "the service's database changed while reconciling"
        elif not olf_before.caught_up:
            reason = olf_before.why_not
        elif olf_before != olf_after:
            reason = "OLF's counts changed while reconciling"
        else:
            return before[0], olf_before
        if time.monotonic() >= deadline:
            raise NotReconcilable(f"no quiet moment within {wait:.0f}s: {reason}")
        await asyncio.sleep(min(1.0, settle))


async def get_olf_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """OLF's JSON answer at ``url``.

    Raises:
        NotReconcilable: OLF did not answer, or not with 200.
    """
    try:
        async with session.get(url) as response:
            if response.status != 200:
                raise NotReconcilable(f"OLF answered {response.status} to {url}")
            answer: dict[str, Any] = await response.json()
            return answer
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise NotReconcilable(f"OLF did not answer at {url}: {exc}") from None


def why_not_caught_up(name: str, answer: dict[str, Any]) -> str:
    """Why OLF's ``name`` answer cannot be compared yet, from its ``as_of``; "" when it can."""
    as_of = answer.get("as_of", {})
    if not as_of.get("complete"):
        return f"OLF's {name} answer is incomplete (a worker is missing or rebalancing)"
    if as_of.get("lag", 0):
        return f"OLF's {name} answer lags {as_of['lag']} events behind"
    return ""
