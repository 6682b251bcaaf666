"""The live stream's snapshot (one hour of minutes) and the deltas between snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.factory import Olf
from app.queries.live_stats import Snapshot, delta, live_snapshot
from tests.conftest import UNIT_PARTITIONS
from tests.events import message
from tests.live_snapshots import apply_delta
from tests.messages import partition_of
from tests.olf_driver import local_view, put

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def minute(offset: int) -> datetime:
    return START + timedelta(minutes=offset)


def point(offset: int, count: int = 1) -> dict[str, Any]:
    return {"start": minute(offset).strftime("%Y-%m-%dT%H:%M:%SZ"), "count": count}


async def test_snapshot_has_all_sections_and_one_hour_of_minutes(olf: Olf) -> None:
    # Customers c0..c9 sign up every 10 minutes from 09:00 to 10:30; c0 leaves
    # at 10:29 and c9 changes country at 10:30, the newest event time.
    messages = [
        message(f"c{i}", 1, country="NL" if i % 2 else "DE", occurred_at=minute(10 * i))
        for i in range(10)
    ]
    messages.append(message("c0", 2, "customer.deleted", occurred_at=minute(89)))
    messages.append(message("c9", 2, "customer.updated", country="BE", occurred_at=minute(90)))
    async with olf.apply_events.test_context() as agent:
        for key, value in messages:
            assert await put(agent, key, value, partition_of(key, UNIT_PARTITIONS)) == "applied"

    snapshot = live_snapshot(local_view(olf, UNIT_PARTITIONS))

    assert snapshot["summary"] == {
        "customers": {"total": 9},
        "events": {"applied": 12, "duplicates": 0, "rejected": 0},
        "orders": {},
        "order_events": {"applied": 0, "duplicates": 0, "rejected": 0},
    }
    assert snapshot["orders"] == {"country": {}, "segment": {}}
    assert snapshot["counts"]["country"] == {"NL": 4, "DE": 4, "BE": 1}
    assert snapshot["counts"]["segment"] == {"smb": 9}
    assert snapshot["counts"]["status"] == {"active": 9}
    # 60 minutes up to 10:30: 09:31..10:30; the sign-ups of 09:00..09:30 are older.
    assert snapshot["timeseries"] == {
        "signups": [point(m) for m in (40, 50, 60, 70, 80, 90)],
        "updates": [point(90)],
        "deletions": [point(89)],
    }
    assert snapshot["as_of"]["newest_event_time"] == "2026-11-26T10:30:00Z"
    assert snapshot["as_of"]["complete"] is True


def test_snapshot_of_no_events_is_empty_but_complete_in_shape(olf: Olf) -> None:
    snapshot = live_snapshot(local_view(olf, UNIT_PARTITIONS))
    assert snapshot["counts"] == {"country": {}, "segment": {}, "status": {}}
    assert snapshot["timeseries"] == {"signups": [], "updates": [], "deletions": []}
    assert snapshot["as_of"]["newest_event_time"] is None


counts = st.dictionaries(st.sampled_from(["NL", "DE", "BE", "FR"]), st.integers(1, 5), max_size=4)
snapshots = st.fixed_dictionaries(
    {
        "summary": st.fixed_dictionaries(
            {"customers": st.fixed_dictionaries({"total": st.integers(0, 3)})}
        ),
        "counts": st.fixed_dictionaries({"country": counts, "segment": counts}),
        "timeseries": st.fixed_dictionaries(
            {"signups": st.lists(st.integers(1, 3), max_size=3).map(list)}
        ),
        "as_of": st.fixed_dictionaries({"lag": st.integers(0, 2), "complete": st.booleans()}),
    }
)


@given(old=snapshots, new=snapshots)
def test_applying_the_delta_to_the_old_snapshot_gives_the_new_one(
    old: Snapshot, new: Snapshot
) -> None:
    changes = delta(old, new)
    assert apply_delta(old, changes) == new
    for section, parts in changes.items():
        for name, value in parts.items():
            assert old[section][name] != value, "a delta must carry only changed parts"


@given(snapshot=snapshots)
def test_no_change_no_delta(snapshot: Snapshot) -> None:
    assert delta(snapshot, snapshot) == {}
