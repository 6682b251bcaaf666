"""Shared fixtures: a fresh OLF app per test, built from test settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from agents.dead_letters import DeadLetters
from app.factory import Olf, create_olf
from app.settings import Settings
from tests.olf_driver import RecordingDeadLetters

UNIT_PARTITIONS = 4


def build_olf(data_dir: Path, dead_letters: DeadLetters, **overrides: object) -> Olf:
    """A fresh app (memory store, unique id) whose dead letters are recorded."""
    values: dict[str, object] = {
        "app_id": f"olf-test-{uuid.uuid4().hex[:8]}",
        "store_url": "memory://",
        "data_dir": data_dir,
        "topic_partitions": UNIT_PARTITIONS,
    }
    values.update(overrides)
    olf = create_olf(Settings(**values), dead_letters=dead_letters)  # type: ignore[arg-type]
    olf.app.finalize()
    olf.app.flow_control.resume()
    return olf


@pytest.fixture
def dead_letters() -> RecordingDeadLetters:
    return RecordingDeadLetters()


@pytest.fixture
def olf_factory(tmp_path: Path, dead_letters: RecordingDeadLetters) -> Callable[..., Olf]:
    """Build fresh OLF apps for unit tests; all record into ``dead_letters``."""

    def build(**overrides: object) -> Olf:
        return build_olf(tmp_path / "data", dead_letters, **overrides)

    return build


@pytest.fixture
def olf(olf_factory: Callable[..., Olf]) -> Olf:
    """A fresh OLF app for one unit test."""
    return olf_factory()
