"""The real local Kafka broker that integration tests share, via dev/kafka/kafka.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = REPO_ROOT / "dev" / "kafka" / "kafka.sh"
TEST_KAFKA_PORT = int(os.environ.get("OLF_TEST_KAFKA_PORT", "19092"))


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where clients reach a local test broker."""

    port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"


@dataclass(frozen=True, slots=True)
class Broker(BrokerAddress):
    """A running broker, and whether these tests started it."""

    started_here: bool


def kafka_script(command: str, port: int) -> subprocess.CompletedProcess[str]:
    """Run ``dev/kafka/kafka.sh <command>`` for the broker on ``port``."""
    env = {**os.environ, "OLF_KAFKA_PORT": str(port)}
    return subprocess.run(
        ["bash", str(KAFKA_SCRIPT), command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def ensure_broker(port: int = TEST_KAFKA_PORT) -> Broker:
    """Start the test broker unless it already runs.

    Raises:
        RuntimeError: the broker could not be started (the script's output says why).
    """
    if kafka_script("status", port).returncode == 0:
        return Broker(port=port, started_here=False)
    started = kafka_script("start", port)
    if started.returncode != 0:
        raise RuntimeError(
            f"could not start the test broker on port {port}:\n{started.stdout}{started.stderr}"
        )
    return Broker(port=port, started_here=True)


def stop_broker(broker: Broker) -> None:
    """Stop ``broker`` if these tests started it."""
    if broker.started_here:
        kafka_script("stop", broker.port)


@dataclass(frozen=True, slots=True)
class PrivateBroker(BrokerAddress):
    """A broker of one test's own, on its own ports, that the test may stop and start.

    For tests that take the broker away (outages, restarts) without
    disturbing the session broker other tests share. Its data lives in
    ``.local/kafka/data-<port>`` and is deleted when the test ends.
    """

    def start(self) -> None:
        started = kafka_script("start", self.port)
        if started.returncode != 0:
            raise RuntimeError(f"broker on {self.port} did not start:\n{started.stderr}")

    def stop(self) -> None:
        stopped = kafka_script("stop", self.port)
        if stopped.returncode != 0:
            raise RuntimeError(f"broker on {self.port} did not stop:\n{stopped.stderr}")

    def remove_data(self) -> None:
        """Delete this broker's data, logs and generated config."""
        kafka_dir = REPO_ROOT / ".local" / "kafka"
        shutil.rmtree(kafka_dir / f"data-{self.port}", ignore_errors=True)
        for pattern in (f"*-{self.port}.*", f"broker-{self.port}.log.1"):
            for leftover in kafka_dir.glob(pattern):
                leftover.unlink(missing_ok=True)


CLUSTER_SCRIPT = REPO_ROOT / "dev" / "kafka" / "cluster.sh"
TEST_CLUSTER_PORT = int(os.environ.get("OLF_TEST_KAFKA_CLUSTER_PORT", "19392"))
#: The cluster's node ids (dev/kafka/cluster.sh), which are also their broker ids.
NODES = (1, 2, 3)


def cluster_script(*args: str, base_port: int) -> subprocess.CompletedProcess[str]:
    """Run ``dev/kafka/cluster.sh <args>`` for the cluster whose node 1 is on ``base_port``."""
    env = {**os.environ, "OLF_KAFKA_CLUSTER_PORT": str(base_port)}
    return subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@dataclass(frozen=True, slots=True)
class KafkaCluster(Broker):
    """dev/kafka/cluster.sh's three nodes, each a broker and a controller.

    A :class:`Broker` whose address names all three nodes, so the shared
    fixtures (workers, the Customer service) connect to the whole cluster;
    ``port`` is node 1's. Node *n* listens on ``port + 2(n - 1)``.
    """

    def node_port(self, node: int) -> int:
        return self.port + 2 * (node - 1)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.node_port(node)}" for node in NODES)

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    def run(self, *args: str) -> str:
        """``cluster.sh <args>``; its output.

        Raises:
            RuntimeError: the script failed (its output says why).
        """
        done = cluster_script(*args, base_port=self.port)
        if done.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def stop_node(self, node: int) -> None:
        """A clean shutdown: the node hands its partitions' leadership over first."""
        self.run("stop-node", str(node))

    def kill_node(self, node: int) -> None:
        """``kill -9``: its partitions move only once the controller gives up on it."""
        self.run("kill-node", str(node))

    def start_node(self, node: int) -> None:
        """Start the node and wait until it answers."""
        self.run("start-node", str(node))

    def remove_data(self) -> None:
        """Delete every node's data, logs and generated config, and the cluster id."""
        kafka_dir = REPO_ROOT / ".local" / "kafka"
        for node in NODES:
            PrivateBroker(self.node_port(node)).remove_data()
        (kafka_dir / f"cluster-{self.port}.id").unlink(missing_ok=True)


def ensure_cluster(port: int = TEST_CLUSTER_PORT) -> KafkaCluster:
    """Start the test cluster unless all its nodes already run.

    Raises:
        RuntimeError: the cluster could not be started (the script's output says why).
    """
    if cluster_script("status", base_port=port).returncode == 0:
        return KafkaCluster(port=port, started_here=False)
    cluster = KafkaCluster(port=port, started_here=True)
    cluster.run("start")
    return cluster


def stop_cluster(cluster: KafkaCluster) -> None:
    """Stop ``cluster`` and remove its data if these tests started it."""
    if cluster.started_here:
        cluster.run("stop")
        cluster.remove_data()
