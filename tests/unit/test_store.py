"""The statistics store: restores checkpoints whole, and refuses rows it cannot read."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.factory import Olf
from models.customer_state import CustomerState
from models.partition_stats import PartitionStats, UnknownRowFormat
from tables.rows import STATS_KEY, customer_key, encode_checkpoint


def record(offset: int, key: bytes, value: bytes | None) -> SimpleNamespace:
    return SimpleNamespace(offset=offset, key=key, value=value)


def test_a_checkpoint_record_restores_its_rows_even_without_the_messages_after_it(
    olf: Olf,
) -> None:
    stats = PartitionStats(offset=41, total=1, applied=1)
    row = (customer_key("c1"), CustomerState(3, None).encode())
    store = olf.statistics.table.store
    # The crash came right after the record: the row's own message never arrived.
    store.apply_changelog_records(0, [record(7, STATS_KEY, encode_checkpoint(stats, [row]))])

    rows = store.rows(0)
    assert rows.changelog_offset() == 7
    assert rows.get(row[0]) == row[1]
    stored = rows.get(STATS_KEY)
    assert stored is not None
    assert PartitionStats.decode(stored) == stats


def test_a_changelog_of_olf_0_1_is_refused_with_what_to_do(olf: Olf) -> None:
    old = record(0, b"partition/0", b'{"offset": 5, "__faust": {"ns": "PartitionStats"}}')
    with pytest.raises(UnknownRowFormat, match="OLF_APP_ID"):
        olf.statistics.table.store.apply_changelog_records(0, [old])


def test_stats_of_another_format_are_refused() -> None:
    with pytest.raises(UnknownRowFormat, match="OLF_APP_ID"):
        PartitionStats.decode(b'{"format": 2, "offset": 1}')


def test_a_checkpoint_of_a_partition_that_left_is_not_stored(olf: Olf) -> None:
    store = olf.statistics.table.store
    assert not store.write_checkpoint(5, [(STATS_KEY, PartitionStats().encode())], 3)
    store.rows(5)
    assert store.write_checkpoint(5, [(STATS_KEY, PartitionStats().encode())], 3)
    assert store.rows(5).changelog_offset() == 3
