"""Tests on dev/kafka/cluster.sh's three-node cluster, marked ``cluster`` (``make cluster``).

Here ``broker`` is the whole cluster: the shared fixtures (workers, the
Customer service, producers) connect to all three nodes, and a test may
stop, kill and restart single nodes. Each test leaves every node running.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.broker import KafkaCluster, ensure_cluster, stop_cluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/cluster/" in str(item.path):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def broker() -> Iterator[KafkaCluster]:
    """The local three-node cluster; started for this session unless already running."""
    cluster = ensure_cluster()
    yield cluster
    stop_cluster(cluster)
