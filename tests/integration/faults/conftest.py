"""Fault tests: a known stream, a fault, then every answer must equal the model."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)
