"""Event-time windows: what is counted where, and how long it is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.factory import Olf
from tests.conftest import UNIT_PARTITIONS
from tests.messages import valid_message
from tests.olf_driver import local_view, run_stream
from tests.reference_model import Facts, ReferenceModel, Sent

NEWEST = datetime(2026, 11, 26, 10, 15, 30, tzinfo=UTC)


def created(customer_id: str, at: datetime, version: int = 1) -> Sent:
    facts = Facts(customer_id, "customer.created", version, at.timestamp(), ("NL", "smb", "active"))
    return valid_message(facts, UNIT_PARTITIONS)


def points(olf: Olf, metric: str, window: str) -> list[dict[str, object]]:
    return local_view(olf, UNIT_PARTITIONS).points(metric, window)


async def test_events_count_in_the_window_of_their_event_time(olf: Olf) -> None:
    stream = [
        created("a", NEWEST),
        created("b", NEWEST + timedelta(seconds=29)),  # same minute
        created("c", NEWEST - timedelta(minutes=1)),  # the minute before, arriving late
    ]
    await run_stream(olf, stream)

    assert points(olf, "signups", "1m") == [
        {"start": "2026-11-26T10:14:00Z", "count": 1},
        {"start": "2026-11-26T10:15:00Z", "count": 2},
    ]
    assert points(olf, "signups", "1h") == [{"start": "2026-11-26T10:00:00Z", "count": 3}]
    assert points(olf, "updates", "1h") == []


@pytest.mark.parametrize("old_first", [True, False], ids=["old-first", "old-last"])
@pytest.mark.parametrize(
    ("window", "kept_back", "dropped_back"),
    [
        ("1m", timedelta(minutes=24 * 60 - 1), timedelta(minutes=24 * 60)),
        ("1h", timedelta(hours=30 * 24 - 1), timedelta(hours=30 * 24)),
    ],
)
async def test_windows_are_kept_back_from_the_newest_event(
    olf: Olf, window: str, kept_back: timedelta, dropped_back: timedelta, old_first: bool
) -> None:
    # Customer ids "a", "c" and "x" share a partition, so retention and
    # pruning of that one partition decide.
    start = NEWEST.replace(second=0) if window == "1m" else NEWEST.replace(minute=0, second=0)
    old = [created("a", start - kept_back), created("c", start - dropped_back)]
    newest = [created("x", NEWEST)]
    stream = old + newest if old_first else newest + old
    assert len({sent.partition for sent in stream}) == 1, "pick ids of one partition"
    await run_stream(olf, stream)

    model = ReferenceModel()
    for offset, sent in enumerate(stream):
        model.feed(sent, offset)
    answer = points(olf, "signups", window)
    assert answer == model.points("signups", window)
    assert answer[0] == {"start": (start - kept_back).strftime("%Y-%m-%dT%H:%M:%SZ"), "count": 1}
