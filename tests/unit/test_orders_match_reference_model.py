"""Property: whatever the interleaving of the two topics, the join equals the model.

A customer stream and an order stream (duplicates, replays, gaps, orders
before their customer's ``created``, customers moving and being deleted after
ordering, malformed messages of both) are merged in two different orders and
cut into batches: both runs answer exactly what the reference model says.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.queries.live_stats import live_snapshot
from tests.conftest import UNIT_PARTITIONS, build_olf
from tests.join_answers import model_answers, view_answers
from tests.olf_driver import FollowedReports, RecordingDeadLetters, local_view, run_stream
from tests.order_messages import two_topic_streams
from tests.reference_model import ReferenceModel, Sent


async def run(data_dir: Path, stream: list[Sent], sizes: list[int]) -> list[dict[str, Any]]:
    """The answers after ``stream``: read whole, followed, and copied between workers."""
    olf = build_olf(data_dir, RecordingDeadLetters())
    followed = FollowedReports(olf, UNIT_PARTITIONS)
    await run_stream(olf, stream, sizes, after_batch=followed.step)
    model = ReferenceModel.of((sent, offset) for offset, sent in enumerate(stream))
    want = model_answers(model)
    views = (local_view(olf, UNIT_PARTITIONS), followed.merged(), followed.merged_copies())
    for merged in views:
        got = view_answers(merged, list(want["series"]))
        assert got == want
        # The snapshot's series are the order series the partitions hold, no more.
        snapshot = live_snapshot(merged)
        assert set(snapshot["timeseries"]) == {s for s, _ in want["series"]}
    return [want]


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    streams=two_topic_streams(UNIT_PARTITIONS),
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=4),
)
def test_any_interleaving_of_customers_and_orders_gives_the_models_statistics(
    tmp_path: Path, streams: tuple[list[Sent], list[Sent]], sizes: list[int]
) -> None:
    first, second = streams
    answers_first = asyncio.run(run(tmp_path / "first", first, sizes))
    answers_second = asyncio.run(run(tmp_path / "second", second, sizes))
    assert answers_first == answers_second
