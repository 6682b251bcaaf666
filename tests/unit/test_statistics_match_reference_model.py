"""Property: for any stream of events, cut into any batches, the agent's state equals the model."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.queries.answers import MergedReports
from models.event_window import METRICS
from tests.conftest import UNIT_PARTITIONS, build_olf
from tests.messages import message_streams
from tests.olf_driver import FollowedReports, RecordingDeadLetters, local_view, run_stream
from tests.reference_model import ReferenceModel, Sent


async def check_against_model(data_dir: Path, stream: list[Sent], sizes: list[int]) -> None:
    dead_letters = RecordingDeadLetters()
    olf = build_olf(data_dir, dead_letters)
    followed = FollowedReports(olf, UNIT_PARTITIONS)
    outcomes = await run_stream(olf, stream, sizes, after_batch=followed.step)
    model = ReferenceModel()
    for offset, sent in enumerate(stream):
        model.feed(sent, offset)

    assert outcomes.count("applied") == model.applied
    assert outcomes.count("duplicate") == model.duplicates
    assert outcomes.count("rejected") == model.rejected
    assert dead_letters.as_tuples() == model.dead_letters

    for customer_id, version in model.versions.items():
        state = olf.statistics.customer(customer_id)
        assert state is not None
        assert state.version == version
        profile = state.profile
        actual = None if profile is None else (profile.country, profile.segment, profile.status)
        assert actual == model.profiles.get(customer_id), customer_id

    # Read whole, followed batch by batch, and copied through the internal API.
    for merged in (local_view(olf, UNIT_PARTITIONS), followed.merged(), followed.merged_copies()):
        assert_answers_match(merged, model)


def assert_answers_match(merged: MergedReports, model: ReferenceModel) -> None:
    assert merged.total("total") == model.total
    assert (merged.total("applied"), merged.total("duplicates"), merged.total("rejected")) == (
        model.applied,
        model.duplicates,
        model.rejected,
    )
    for dimension in ("country", "segment", "status"):
        assert merged.counts(dimension) == model.counts(dimension)
    assert merged.as_of()["newest_event_time"] == model.newest_event_time()
    for metric in METRICS:
        for window in ("1m", "1h"):
            assert merged.points(metric, window) == model.points(metric, window), (metric, window)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stream=message_streams(UNIT_PARTITIONS),
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=4),
)
def test_any_stream_gives_the_reference_models_statistics(
    tmp_path: Path, stream: list[Sent], sizes: list[int]
) -> None:
    asyncio.run(check_against_model(tmp_path, stream, sizes))
