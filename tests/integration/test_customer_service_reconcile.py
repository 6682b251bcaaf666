"""``python -m customer_service reconcile`` against a real OLF worker and the service's database.

A clean run reports no drift and exits 0. Then one event is deliberately
skipped (written with the relay off, then marked sent without being
published, as a lost message would be): reconciliation must name the counts
it throws off and exit 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import update

from customer_service.schema import outbox
from customer_service.simulator import simulate
from infrastructure.database import Database
from tests.integration.customer_service_checks import reconcile, service_counts
from tests.integration.customer_service_process import TOKEN, CustomerServiceProcess
from tests.integration.worker import Worker

PUBLISH_TIMEOUT: Final = 60.0
SKIPPED: Final = {"name": "Lost Event", "email": "lost@example.com", "country": "IS",
                  "segment": "enterprise", "status": "suspended"}  # fmt: skip
SIGN_UP: Final = {"name": "Later", "country": "NL", "segment": "smb", "status": "active"}


async def mark_sent_without_publishing(service: CustomerServiceProcess, customer_id: str) -> None:
    database = Database(service.env["CUSTOMER_SERVICE_DATABASE_URL"])
    try:
        async with database.write() as connection:
            marked = await connection.execute(
                update(outbox)
                .where(outbox.c.customer_id == customer_id)
                .values(sent_at=datetime.now(UTC))
            )
            assert marked.rowcount == 1
    finally:
        await database.close()


def drift_rows(output: str) -> set[tuple[str, str, int]]:
    """(dimension, value, difference) of each row of the drift table in ``output``."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["dimension", "value"])
    rows = set()
    for line in lines[header + 2 :]:
        cells = line.split()
        if len(cells) != 5:
            break
        rows.add((cells[0], cells[1], int(cells[4])))
    return rows


async def test_reconcile_passes_a_clean_run_and_reports_a_skipped_event_as_drift(
    customer_service_factory: Callable[..., CustomerServiceProcess],
    worker_factory: Callable[..., Worker],
) -> None:
    service = customer_service_factory()
    tally = await simulate(service.base_url, TOKEN, customers=40, changes=150, rate=1000, seed=9)
    assert not tally.failed, tally.first_errors
    service.wait_until_published(PUBLISH_TIMEOUT)
    worker = worker_factory()

    code, output = await reconcile(service, worker)

    assert (code, "no drift" in output) == (0, True), output

    service.stop()
    offline = customer_service_factory(relay_enabled="false")
    status, skipped = offline.request("POST", "/customers", SKIPPED)
    assert status == 201, skipped
    offline.stop()
    await mark_sent_without_publishing(offline, skipped["customer_id"])
    service = customer_service_factory()
    # Sign-ups go on after the loss and reach OLF as before. (Not the simulator:
    # a change of the lost customer itself would carry its full state to OLF
    # and so heal the drift.)
    for number in range(5):
        status, body = service.request(
            "POST", "/customers", {**SIGN_UP, "email": f"{number}@example.com"}
        )
        assert status == 201, body
    service.wait_until_published(PUBLISH_TIMEOUT)

    code, output = await reconcile(service, worker)

    assert code == 1, output
    assert "DRIFT in 4 counts" in output, output
    assert drift_rows(output) == {
        ("total", "-", -1),
        ("country", "IS", -1),
        ("segment", "enterprise", -1),
        ("status", "suspended", -1),
    }, output
    assert (await service_counts(service)).by["country"]["IS"] == 1


async def test_reconcile_stopped_by_sigterm_exits_2_with_a_message(
    customer_service_factory: Callable[..., CustomerServiceProcess],
    worker_factory: Callable[..., Worker],
) -> None:
    service = customer_service_factory()
    worker = worker_factory()

    # Long enough a settle that the signal lands while it compares.
    code, output = await reconcile(service, worker, settle=60.0, terminate_after=5.0)

    assert code == 2, output
    assert "reconcile: interrupted before it could compare" in output, output
    assert "Traceback" not in output, output
