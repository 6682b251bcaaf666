"""The apply_customer_events agent through Faust's test_context (no broker)."""

from __future__ import annotations

from typing import Any

from app.factory import Olf
from models.partition_stats import PartitionStats
from tables.rows import encode_checkpoint
from tests.conftest import UNIT_PARTITIONS
from tests.events import message
from tests.messages import partition_of
from tests.olf_driver import RecordingDeadLetters, local_view, message_at, put, put_batch

P = 0  # these tests put everything on one partition


async def put_all(olf: Olf, messages: list[tuple[bytes | None, bytes]]) -> list[str]:
    """Outcomes of ``messages`` put at offsets 0, 1, 2... of partition P."""
    async with olf.apply_customer_events.test_context() as agent:
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
    async with olf.apply_customer_events.test_context() as agent:
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
    async with olf.apply_customer_events.test_context() as agent:
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
    async with olf.apply_customer_events.test_context() as agent:
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
    async with olf.apply_customer_events.test_context() as agent:
        assert await put_batch(agent, batch) == ["applied", "duplicate", "applied"]
    assert stats(olf).by_country == {"DE": 1}
    assert (stats(olf).applied, stats(olf).duplicates, stats(olf).offset) == (2, 1, 2)


def test_unit_partition_helper_matches_the_test_ids() -> None:
    # Other unit tests rely on these ids landing in one partition.
    assert len({partition_of(cid.encode(), UNIT_PARTITIONS) for cid in ("a", "c", "x")}) == 1
