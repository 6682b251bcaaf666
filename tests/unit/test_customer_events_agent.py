"""The apply_events agent through Faust's test_context (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.factory import Olf
from models.partition_stats import PartitionStats
from tables.rows import encode_checkpoint
from tests.conftest import UNIT_PARTITIONS
from tests.events import DEFAULT_TIME, message
from tests.messages import partition_of
from tests.olf_driver import RecordingDeadLetters, local_view, message_at, put, put_batch

P = 0  # these tests put everything on one partition


async def put_all(olf: Olf, messages: list[tuple[bytes | None, bytes]]) -> list[str]:
    """Outcomes of ``messages`` put at offsets 0, 1, 2... of partition P."""
    async with olf.apply_events.test_context() as agent:
        return [await put(agent, key, value, P) for key, value in messages]


def stats(olf: Olf) -> PartitionStats:
    return olf.statistics.partition(P)


async def test_created_customers_are_counted_by_country(olf: Olf) -> None:
    outcomes = await put_all(
        olf, [message("c0", 1, country="NL"), message("c1", 1, country="NL"), message("c2", 1)]
    )
    assert outcomes == ["applied"] * 3
    assert stats(olf).by_country == {"NL": 3}
    assert stats(olf).total == 3


async def test_message_that_is_not_json_is_rejected_and_the_agent_goes_on(
    olf: Olf, dead_letters: RecordingDeadLetters
) -> None:
    outcomes = await put_all(olf, [(b"c1", b"{not json"), message("c1", 1, country="FR")])
    assert outcomes == ["rejected", "applied"]
    assert (stats(olf).rejected, stats(olf).applied) == (1, 1)
    assert stats(olf).by_country == {"FR": 1}
    assert dead_letters.as_tuples() == [(P, 0, b"c1", b"{not json")]


async def test_older_or_equal_versions_are_duplicates(olf: Olf) -> None:
    outcomes = await put_all(
        olf,
        [
            message("c1", 2, "customer.updated", country="DE"),
            message("c1", 1, country="NL"),
            message("c1", 2, "customer.updated", country="NL"),
        ],
    )
    assert outcomes == ["applied", "duplicate", "duplicate"]
    assert stats(olf).by_country == {"DE": 1}
    assert (stats(olf).applied, stats(olf).duplicates) == (1, 2)


async def test_update_moves_and_delete_removes_and_higher_create_brings_back(olf: Olf) -> None:
    async with olf.apply_events.test_context() as agent:
        for key, value in [
            message("c1", 1, country="NL"),
            message("c2", 1, country="NL"),
            message("c1", 2, "customer.updated", country="DE"),
            message("c2", 3, "customer.deleted"),
        ]:
            assert await put(agent, key, value, P) == "applied"
        assert stats(olf).by_country == {"DE": 1}  # NL emptied: the bucket disappears
        tombstone = olf.statistics.customer("c2")
        assert tombstone is not None
        assert (tombstone.version, tombstone.profile, tombstone.country) == (3, None, None)

        key, value = message("c2", 2, country="BE")
        assert await put(agent, key, value, P) == "duplicate"
        key, value = message("c2", 4, country="BE")
        assert await put(agent, key, value, P) == "applied"
    assert stats(olf).by_country == {"DE": 1, "BE": 1}


async def test_counts_are_kept_per_input_partition_and_merged(olf: Olf) -> None:
    async with olf.apply_events.test_context() as agent:
        for partition, customer_id in ((1, "c1"), (3, "c2")):
            key, value = message(customer_id, 1, country="NL")
            await put(agent, key, value, partition)

    assert olf.statistics.partition(1).by_country == {"NL": 1}
    assert olf.statistics.partition(3).by_country == {"NL": 1}
    assert local_view(olf, UNIT_PARTITIONS).counts("country") == {"NL": 2}


async def test_tables_keep_no_name_or_email(olf: Olf) -> None:
    await put_all(olf, [message("c1", 1), message("c2", 1), message("c1", 2, "customer.deleted")])
    state = olf.statistics.state(P)
    rows = [*state.changes.rows(), (b"stats", encode_checkpoint(state.stats, state.changes.rows()))]
    assert len(rows) > 2
    for _, row in rows:
        assert row is not None
        assert b"Ada Example" not in row
        assert b"ada@example.com" not in row


def replay(agent: Any, offset: int) -> None:
    """Make the next put arrive at ``offset`` again, as after a crash before a commit."""
    agent.sent_offset = offset


async def test_messages_seen_before_a_restart_are_not_counted_again(
    olf: Olf, dead_letters: RecordingDeadLetters
) -> None:
    messages = [message("c1", 1), (b"c1", b"[]"), message("c1", 1), message("c2", 1)]
    async with olf.apply_events.test_context() as agent:
        for key, value in messages:
            await put(agent, key, value, P)
        before = stats(olf)
        replay(agent, 0)
        for key, value in messages:
            assert await put(agent, key, value, P) == "already-processed"

    assert stats(olf) == before
    assert len(dead_letters.records) == 1


async def test_a_batch_sees_its_own_earlier_events(olf: Olf) -> None:
    batch = [
        message_at(P, 0, *message("c1", 1, country="NL")),
        message_at(P, 1, *message("c1", 1, country="NL")),
        message_at(P, 2, *message("c1", 2, "customer.updated", country="DE")),
    ]
    async with olf.apply_events.test_context() as agent:
        assert await put_batch(agent, batch) == ["applied", "duplicate", "applied"]
    assert stats(olf).by_country == {"DE": 1}
    assert (stats(olf).applied, stats(olf).duplicates, stats(olf).offset) == (2, 1, 2)


def test_unit_partition_helper_matches_the_test_ids() -> None:
    # Other unit tests rely on these ids landing in one partition.
    assert len({partition_of(cid.encode(), UNIT_PARTITIONS) for cid in ("a", "c", "x")}) == 1


def snapshot(customer_id: str, version: int, **attributes: Any) -> tuple[bytes, bytes]:
    """A ``customer.snapshot``; ``deleted=True`` for one of a deleted customer."""
    return message(customer_id, version, "customer.snapshot", **attributes)


async def test_a_newer_snapshot_sets_the_state_and_moves_the_counts_but_no_series(
    olf: Olf,
) -> None:
    outcomes = await put_all(
        olf,
        [
            message("c1", 1, country="NL"),
            snapshot("c1", 3, country="DE"),  # v2 was lost: the snapshot repairs it
            snapshot("c2", 2, country="BE"),  # its events are gone from the topic
            snapshot("a", 4, deleted=True),  # deleted before anything still on the topic
        ],
    )
    assert outcomes == ["applied"] * 4
    assert stats(olf).by_country == {"DE": 1, "BE": 1}
    assert (stats(olf).total, stats(olf).applied) == (2, 4)
    tombstone = olf.statistics.customer("a")
    assert tombstone is not None
    assert (tombstone.version, tombstone.profile) == (4, None)

    view = local_view(olf, UNIT_PARTITIONS)
    assert view.points("signups", "1h") == [{"start": "2026-11-26T10:00:00Z", "count": 1}]
    assert view.points("updates", "1h") == view.points("deletions", "1h") == []


async def test_a_snapshot_not_newer_is_a_duplicate_and_older_events_stay_duplicates(
    olf: Olf,
) -> None:
    outcomes = await put_all(
        olf,
        [
            message("c1", 2, "customer.updated", country="NL"),
            snapshot("c1", 2, country="DE"),
            snapshot("c1", 1, country="DE"),
            snapshot("c2", 3, deleted=True),
            message("c2", 2, "customer.updated", country="FR"),  # older than the snapshot
            snapshot("c2", 4, country="FR"),  # a deleted customer's snapshot brings it back
        ],
    )
    assert outcomes == ["applied", "duplicate", "duplicate", "applied", "duplicate", "applied"]
    assert stats(olf).by_country == {"NL": 1, "FR": 1}


async def test_a_snapshot_does_not_move_the_newest_event_time(olf: Olf) -> None:
    later = datetime(2026, 12, 30, tzinfo=UTC)
    await put_all(
        olf,
        [
            snapshot("c0", 1, occurred_at=later),
            message("c1", 1),
            snapshot("c2", 1, occurred_at=later),
        ],
    )
    assert stats(olf).newest_event_time == DEFAULT_TIME.timestamp()
    # A snapshot 34 days after the sign-up would have pruned it from every series.
    view = local_view(olf, UNIT_PARTITIONS)
    assert view.points("signups", "1h") == [{"start": "2026-11-26T10:00:00Z", "count": 1}]
