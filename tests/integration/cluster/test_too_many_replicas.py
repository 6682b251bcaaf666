"""A worker asked for more replicas than the cluster has brokers refuses to start, saying why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.broker import KafkaCluster
from tests.integration.worker import Worker


def test_more_replicas_than_brokers_stop_the_worker_with_the_setting_named(
    broker: KafkaCluster, worker_factory: Callable[..., Worker], tmp_path: Path
) -> None:
    with pytest.raises(AssertionError, match=r"worker exited \(1\)"):
        worker_factory(OLF_TOPIC_REPLICATION_FACTOR="4", OLF_TOPIC_MIN_INSYNC_REPLICAS="2")

    log = (tmp_path / "worker-0.log").read_text()
    assert (
        "OLF_TOPIC_REPLICATION_FACTOR=4 is too large:"
        " 4 replicas need 4 brokers, but the cluster has 3 (ids 1, 2, 3)"
    ) in log
