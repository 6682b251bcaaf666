"""What the Customer service's integration tests verify: the topic against the outbox,
and OLF's answers against the service's database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import defaultdict
from typing import Any, Final

from aiokafka import ConsumerRecord
from sqlalchemy import select

from customer_service.customer_store import DIMENSIONS, CustomerCounts, CustomerStore
from customer_service.outbox import OUTBOX
from customer_service.schema import outbox
from infrastructure.database import Database
from models.customer_event import parse_customer_event
from tests.integration.broker import REPO_ROOT
from tests.integration.customer_service_process import CustomerServiceProcess
from tests.integration.worker import Worker

OLF_MATCH_TIMEOUT: Final = 120.0
RECONCILE_TIMEOUT: Final = 180.0


async def service_counts(service: CustomerServiceProcess) -> CustomerCounts:
    """Live customers by dimension, read from the service's own database."""
    database = Database(service.env["CUSTOMER_SERVICE_DATABASE_URL"])
    try:
        return await CustomerStore(database).counts()
    finally:
        await database.close()


async def outbox_events(service: CustomerServiceProcess) -> dict[tuple[str, int], bytes]:
    """Every event the service wrote, by (customer id, version): the message value."""
    database = Database(service.env["CUSTOMER_SERVICE_DATABASE_URL"])
    try:
        async with database.read() as connection:
            rows = await connection.execute(
                select(outbox.c.customer_id, outbox.c.version, outbox.c.payload)
            )
            return {(row.customer_id, row.version): row.payload for row in rows}
    finally:
        await database.close()


async def outbox_pending(service: CustomerServiceProcess) -> int:
    """Events not yet marked sent, from the database (readable also after a kill)."""
    database = Database(service.env["CUSTOMER_SERVICE_DATABASE_URL"])
    try:
        return (await OUTBOX.status(database)).pending
    finally:
        await database.close()


def check_topic(
    records: list[ConsumerRecord[bytes, bytes]],
    written: dict[tuple[str, int], bytes],
    duplicates_allowed: int = 0,
) -> int:
    """Assert the topic holds every written event, valid, in version order per customer.

    With ``duplicates_allowed`` 0, each (customer, version) must be there
    exactly once; otherwise at most that many repeats, each byte-identical to
    the first, and the first copies in version order. Returns the repeats.
    """
    seen: defaultdict[str, list[int]] = defaultdict(list)
    partitions: dict[str, int] = {}
    repeats = 0
    for record in records:
        event = parse_customer_event(record.key, record.value)  # OLF's own contract check
        assert written.get((event.customer_id, event.version)) == record.value, (
            f"{event.customer_id} v{event.version} on the topic differs from the outbox"
        )
        assert partitions.setdefault(event.customer_id, record.partition) == record.partition, (
            f"{event.customer_id} is on two partitions"
        )
        if event.version in seen[event.customer_id]:
            repeats += 1
            continue
        seen[event.customer_id].append(event.version)
    newest: defaultdict[str, int] = defaultdict(int)
    for customer_id, version in written:
        newest[customer_id] = max(newest[customer_id], version)
    out_of_order = {
        customer_id: versions
        for customer_id, versions in seen.items()
        if versions != list(range(1, newest[customer_id] + 1))
    }
    missing = sorted(set(newest) - set(seen))
    assert not missing, f"customers with no event on the topic: {missing[:5]}"
    assert not out_of_order, (
        f"missing or out-of-order versions: {dict(list(out_of_order.items())[:3])}"
    )
    assert repeats <= duplicates_allowed, f"{repeats} repeated events; at most {duplicates_allowed}"
    return repeats


def olf_answers(worker: Worker) -> dict[str, Any]:
    """OLF's totals and counts by dimension, from one worker's web API."""
    answers: dict[str, Any] = {
        "total (summary)": worker.get_json("/api/stats/summary")["customers"]["total"]
    }
    for dimension in DIMENSIONS:
        answer = worker.get_json(f"/api/stats/customers?by={dimension}")
        answers[f"total (by {dimension})"] = answer["total"]
        answers[dimension] = answer["counts"]
    return answers


def expected_answers(counts: CustomerCounts) -> dict[str, Any]:
    """What :func:`olf_answers` must return when OLF agrees with ``counts``."""
    expected: dict[str, Any] = {"total (summary)": counts.total}
    for dimension in DIMENSIONS:
        expected[f"total (by {dimension})"] = counts.total
        expected[dimension] = counts.by.get(dimension, {})
    return expected


def wait_until_olf_matches(worker: Worker, counts: CustomerCounts) -> None:
    """Wait until every OLF answer equals the service's ``counts`` exactly; fail showing both."""
    expected = expected_answers(counts)
    worker.wait_until(
        lambda: olf_answers(worker),
        lambda answers: answers == expected,
        OLF_MATCH_TIMEOUT,
        f"OLF's answers to equal the service's database {expected}",
    )


async def reconcile(
    service: CustomerServiceProcess,
    worker: Worker,
    settle: float = 1.0,
    terminate_after: float = 0.0,
    *options: str,
) -> tuple[int, str]:
    """Run the command as an operator would (SIGTERM it after ``terminate_after`` s if set).

    ``options`` are more command-line options (``--repair``). Returns its exit
    code and output.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "customer_service", "reconcile",
        "--olf-url", worker.base_url, "--wait", "90", "--settle", str(settle), *options,
        cwd=REPO_ROOT,
        env={**os.environ, **service.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    if terminate_after:
        await asyncio.sleep(terminate_after)
        process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), RECONCILE_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, output.decode()
