"""What every part of one run shares: the broker, the run's id, where files go, time limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dev.benchmark.olf_worker import OlfWorker
from dev.benchmark.options import Options
from dev.local_ports import free_port


@dataclass(frozen=True)
class Context:
    options: Options
    bootstrap: str
    #: In every topic, consumer group and app id of the run, so they can be removed after.
    run_id: str
    #: Logs of every reader and worker (kept after the run, for post-mortems).
    log_dir: Path
    #: State directories (a temporary directory, removed after the run).
    data_root: Path
    #: Oddities worth reporting that fail nothing (a worker killed after SIGTERM); appended to.
    incidents: list[str] = field(default_factory=list)

    def name(self, part: str) -> str:
        """A topic, group or app id for ``part`` of this run, e.g. ``bench-1a2b3c-quix-1``."""
        return f"bench-{self.run_id}-{part}"

    def timeout(self, events: int) -> float:
        """Seconds to wait for ``events`` to be processed: start-up plus the slowest rate."""
        return 120.0 + events / self.options.min_rate

    def olf_worker(self, app_id: str, topic: str, store: str, name: str) -> OlfWorker:
        """A worker of app ``app_id`` on ``topic``, with its own data directory, log and port."""
        return OlfWorker.create(
            app_id=app_id,
            bootstrap=self.bootstrap,
            topic=topic,
            store=store,
            data_dir=self.data_root / name,
            log_path=self.log_dir / f"{name}.log",
            web_port=free_port(),
            incidents=self.incidents,
        )
