"""Republishing rebuilds OLF's counts once the events behind them are gone from the topic.

Half the customers are created, then the other half, and the first half's
changes are deleted from ``customer-events`` (Kafka's delete-records, as
retention would, but at a known offset). OLF started with a new app id then
sees only what is left: reconciliation finds drift. ``reconcile --repair``
republishes snapshots through the outbox, and every count equals the
database, while the time series still count exactly the change events left on
the topic: snapshots invent no signups, updates or deletions. A second,
complete ``republish`` changes nothing more.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import func, select

from customer_service.schema import customers
from customer_service.simulator import simulate
from infrastructure.database import Database
from models.customer_event import parse_customer_event
from models.event_window import METRIC_OF_TYPE, METRICS
from tests.integration.broker import REPO_ROOT, Broker
from tests.integration.customer_service_checks import reconcile
from tests.integration.customer_service_process import TOKEN, CustomerServiceProcess
from tests.integration.kafka_io import delete_before, end_offsets, read_topic
from tests.integration.worker import Worker

PUBLISH_TIMEOUT: Final = 60.0
COMMAND_TIMEOUT: Final = 120.0
HALF: Final = 30


async def customers_ever(service: CustomerServiceProcess) -> int:
    """Rows of the service's customers table: live and deleted ones."""
    database = Database(service.env["CUSTOMER_SERVICE_DATABASE_URL"])
    try:
        async with database.read() as connection:
            return int(await connection.scalar(select(func.count()).select_from(customers)) or 0)
    finally:
        await database.close()


async def republish(service: CustomerServiceProcess) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "customer_service", "republish", "--batch-size", "7",
        cwd=REPO_ROOT,
        env={**os.environ, **service.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, output.decode()


def series(worker: Worker) -> dict[str, Any]:
    """Every time series answer, and the newest event time they are counted back from."""
    answers: dict[str, Any] = {
        "newest_event_time": worker.get_json("/api/stats/summary")["as_of"]["newest_event_time"]
    }
    for metric in METRICS:
        for window in ("1m", "1h"):
            path = f"/api/stats/timeseries?metric={metric}&window={window}"
            answers[path] = worker.get_json(path)["points"]
    return answers


def events_total(worker: Worker) -> dict[str, int]:
    counts: dict[str, int] = worker.get_json("/api/stats/summary")["events"]
    return counts


async def test_a_new_app_id_rebuilds_every_count_from_republished_snapshots(
    broker: Broker,
    events_topic: str,
    unique_name: str,
    customer_service_factory: Callable[..., CustomerServiceProcess],
    worker_factory: Callable[..., Worker],
) -> None:
    service = customer_service_factory()
    first = await simulate(service.base_url, TOKEN, customers=HALF, changes=HALF, rate=1000, seed=3)
    assert not first.failed, first.first_errors
    service.wait_until_published(PUBLISH_TIMEOUT)
    first_half_ends = await end_offsets(broker.bootstrap, events_topic)
    assert sum(first_half_ends.values()) == HALF
    second = await simulate(
        service.base_url, TOKEN, customers=2 * HALF, changes=4 * HALF, rate=1000, seed=4
    )
    assert not second.failed, second.first_errors
    service.wait_until_published(PUBLISH_TIMEOUT)
    written = sum((await end_offsets(broker.bootstrap, events_topic)).values())
    await delete_before(broker.bootstrap, first_half_ends)
    left = await read_topic(broker.bootstrap, events_topic, expected=written - HALF)
    assert len(left) == written - HALF
    changes_left = Counter(
        METRIC_OF_TYPE[parse_customer_event(record.key, record.value).type] for record in left
    )

    worker = worker_factory(OLF_APP_ID=f"{unique_name}-rebuilt")
    code, output = await reconcile(service, worker)
    assert code == 1, output  # the first half's sign-ups are gone
    before = series(worker)
    for metric in METRICS:
        points = before[f"/api/stats/timeseries?metric={metric}&window=1h"]
        assert sum(point["count"] for point in points) == changes_left[metric], metric

    code, output = await reconcile(service, worker, 1.0, 0.0, "--repair", "--batch-size", "7")

    assert code == 0, output
    assert "no drift (repaired)" in output, output
    assert "republish: " in output, output
    assert series(worker) == before
    applied_after_repair = events_total(worker)["applied"]
    assert applied_after_repair > len(left)  # snapshots were applied, not only duplicates

    code, output = await republish(service)
    assert code == 0, output
    assert f"republish: {await customers_ever(service)} snapshot events" in output, output
    service.wait_until_published(PUBLISH_TIMEOUT)
    code, output = await reconcile(service, worker)

    assert code == 0, output
    assert series(worker) == before
    assert events_total(worker)["applied"] == applied_after_repair  # all duplicates now
