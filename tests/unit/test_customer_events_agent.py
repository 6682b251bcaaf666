"""The apply_customer_events agent through Faust's test_context (no broker)."""

from __future__ import annotations

from app.factory import Olf
from tests.events import message


async def put(olf: Olf, agent: object, key: bytes | None, value: bytes, partition: int = 0) -> str:
    event = await agent.put(value, key=key, partition=partition)  # type: ignore[attr-defined]
    return str(agent.results[event.message.offset])  # type: ignore[attr-defined]


async def test_created_customers_are_counted_by_country(olf: Olf) -> None:
    async with olf.apply_customer_events.test_context() as agent:
        for index, country in enumerate(["NL", "NL", "DE"]):
            key, value = message(f"c{index}", 1, country=country)
            assert await put(olf, agent, key, value) == "applied"

    stats = olf.tables.partition_stats[0]
    assert stats.by_country == {"NL": 2, "DE": 1}
    assert stats.total == 3


async def test_message_that_is_not_json_is_rejected_and_the_agent_goes_on(olf: Olf) -> None:
    async with olf.apply_customer_events.test_context() as agent:
        assert await put(olf, agent, b"c1", b"{not json") == "rejected"
        key, value = message("c1", 1, country="FR")
        assert await put(olf, agent, key, value) == "applied"

    stats = olf.tables.partition_stats[0]
    assert (stats.rejected, stats.applied) == (1, 1)
    assert stats.by_country == {"FR": 1}


async def test_older_or_equal_versions_are_duplicates(olf: Olf) -> None:
    async with olf.apply_customer_events.test_context() as agent:
        key, value = message("c1", 2, "customer.updated", country="DE")
        assert await put(olf, agent, key, value) == "applied"
        for version in (1, 2):
            key, value = message("c1", version, country="NL")
            assert await put(olf, agent, key, value) == "duplicate"

    stats = olf.tables.partition_stats[0]
    assert stats.by_country == {"DE": 1}
    assert (stats.applied, stats.duplicates) == (1, 2)


async def test_update_moves_and_delete_removes_a_customer(olf: Olf) -> None:
    async with olf.apply_customer_events.test_context() as agent:
        for key, value in [
            message("c1", 1, country="NL"),
            message("c2", 1, country="NL"),
            message("c1", 2, "customer.updated", country="DE"),
            message("c2", 3, "customer.deleted"),
        ]:
            assert await put(olf, agent, key, value) == "applied"

    stats = olf.tables.partition_stats[0]
    assert stats.by_country == {"DE": 1}
    assert stats.total == 1
    assert olf.tables.customers["c2"].profile is None
    assert olf.tables.customers["c2"].version == 3


async def test_counts_are_kept_per_input_partition(olf: Olf) -> None:
    async with olf.apply_customer_events.test_context() as agent:
        key, value = message("c1", 1, country="NL")
        await put(olf, agent, key, value, partition=3)
        key, value = message("c2", 1, country="NL")
        await put(olf, agent, key, value, partition=5)

    assert olf.tables.partition_stats[3].by_country == {"NL": 1}
    assert olf.tables.partition_stats[5].by_country == {"NL": 1}
