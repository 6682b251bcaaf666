"""The changelog-backed tables behind OLF's statistics.

Both tables are co-partitioned with ``customer-events``: a row is only ever
written while processing an event of the partition it belongs to, so the
worker that owns an input partition owns its rows, recovers them from the
changelog partition of the same number, and no two workers write one row.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust
from faust.types import TableT

from models.customer_state import CustomerState
from models.partition_stats import PartitionStats


@dataclass(frozen=True, slots=True)
class CustomerTables:
    """Handles to the tables an OLF app declares."""

    customers: TableT[str, CustomerState]
    partition_stats: TableT[int, PartitionStats]


def declare_customer_tables(app: faust.App, partitions: int) -> CustomerTables:
    """Declare OLF's tables on ``app``; ``partitions`` must match the input topic."""
    customers = app.Table(
        "customers",
        key_type=str,
        value_type=CustomerState,
        partitions=partitions,
        help="Latest applied version and counted attributes of each customer.",
    )
    partition_stats = app.Table(
        "partition-stats",
        key_type=int,
        value_type=PartitionStats,
        partitions=partitions,
        help="Customer counts and event outcome counters per customer-events partition.",
    )
    return CustomerTables(customers=customers, partition_stats=partition_stats)
