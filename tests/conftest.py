"""Shared fixtures: a fresh OLF app per test, built from test settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from app.factory import Olf, create_olf
from app.settings import Settings


@pytest.fixture
def olf_factory(tmp_path: Path) -> Callable[..., Olf]:
    """Build fresh OLF apps (memory store, unique app id) for unit tests."""

    def build(**overrides: object) -> Olf:
        values: dict[str, object] = {
            "app_id": f"olf-test-{uuid.uuid4().hex[:8]}",
            "store_url": "memory://",
            "data_dir": tmp_path / "data",
        }
        values.update(overrides)
        olf = create_olf(Settings(**values))  # type: ignore[arg-type]
        olf.app.finalize()
        olf.app.flow_control.resume()
        return olf

    return build


@pytest.fixture
def olf(olf_factory: Callable[..., Olf]) -> Olf:
    """A fresh OLF app for one unit test."""
    return olf_factory()
