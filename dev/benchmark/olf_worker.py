"""One OLF worker process, driven only through its external interface.

``python -m faust -A app.main worker`` with ``OLF_*`` environment variables,
read through its HTTP API (docs/api.md). Each worker runs in a process
group of its own, so ``kill -9`` reaches everything it started, and it logs to
a file outside its ``OLF_DATA_DIR`` (which the restore test deletes), at
level ``warn`` unless ``OLF_BENCH_LOG_LEVEL`` says otherwise (e.g. ``info``,
to see why a worker stopped).
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import orjson

from dev.benchmark.broker import ROOT
from dev.benchmark.memory import peak_rss_mb
from dev.benchmark.progress import say
from dev.benchmark.streams import order_topic
from tests.expected_answers import processed

SUMMARY = "/api/stats/summary"
#: Seconds a worker gets to exit after SIGTERM before it is killed (and the kill noted).
STOP_TIMEOUT = 60.0
#: A stop slower than this many seconds is mentioned while the benchmark runs.
SLOW_STOP = 15.0
T = TypeVar("T")


class WorkerFailed(RuntimeError):
    """The worker exited, or did not reach a state in time; the message ends with its log."""


@dataclass
class OlfWorker:
    """An OLF worker with the given settings; :meth:`start` may be called again after a stop."""

    env: dict[str, str]
    log_path: Path
    #: Where a stop that needed SIGKILL after SIGTERM is noted (the run's, shared).
    incidents: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    _connection: http.client.HTTPConnection | None = field(default=None, repr=False)
    _terminated_at: float | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        *,
        app_id: str,
        bootstrap: str,
        topic: str,
        store: str,
        data_dir: Path,
        log_path: Path,
        web_port: int,
        incidents: list[str],
    ) -> OlfWorker:
        env = {
            "OLF_APP_ID": app_id,
            "OLF_BROKER_URL": f"kafka://{bootstrap}",
            "OLF_CUSTOMER_EVENTS_TOPIC": topic,
            "OLF_ORDER_EVENTS_TOPIC": order_topic(topic),
            # Its own, so that no two runs' workers publish to one statistics topic.
            "OLF_STATISTICS_TOPIC": f"{app_id}-statistics",
            "OLF_TOPIC_PARTITIONS": "8",
            "OLF_STORE_URL": store,
            "OLF_DATA_DIR": str(data_dir),
            "OLF_WEB_PORT": str(web_port),
            "OLF_WEB_BIND": "127.0.0.1",
            "OLF_WEB_HOST": "127.0.0.1",
        }
        return cls(env, log_path, incidents)

    @property
    def data_dir(self) -> Path:
        return Path(self.env["OLF_DATA_DIR"])

    @property
    def web_port(self) -> int:
        return int(self.env["OLF_WEB_PORT"])

    @property
    def pid(self) -> int:
        if self.process is None:
            raise WorkerFailed("the worker was never started")
        return self.process.pid

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        level = os.environ.get("OLF_BENCH_LOG_LEVEL", "warn")
        command = [sys.executable, "-m", "faust", "-A", "app.main", "worker", "-l", level]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a kill reaches any child too
            )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop gracefully (SIGTERM); SIGKILL if it lingers past ``timeout`` (an incident)."""
        self.terminate()
        self.reap(timeout)

    def kill(self) -> None:
        """``kill -9``: the worker gets no chance to commit, flush or leave its group."""
        self._close_connection()
        if self._send(signal.SIGKILL) and self.process is not None:
            self.process.wait(30.0)

    def terminate(self) -> None:
        """Send SIGTERM and return at once (see :func:`stop_all`); :meth:`reap` waits."""
        self._close_connection()
        self._terminated_at = time.monotonic() if self._send(signal.SIGTERM) else None

    def reap(self, timeout: float = STOP_TIMEOUT) -> None:
        """Wait for the exit :meth:`terminate` asked for; SIGKILL after ``timeout`` seconds."""
        if self.process is None or self._terminated_at is None:
            return
        left = max(0.0, self._terminated_at + timeout - time.monotonic())
        try:
            self.process.wait(left)
        except subprocess.TimeoutExpired:
            self._send(signal.SIGKILL)
            self.process.wait(30.0)
            incident = (
                f"{self.log_path.stem}: still running {timeout:.0f} s after SIGTERM, killed;"
                f" log {self.log_path}"
            )
            self.incidents.append(incident)
            say(f"  {incident}")
        else:
            took = time.monotonic() - self._terminated_at
            if took > SLOW_STOP:
                say(f"  {self.log_path.stem}: took {took:.0f} s to stop after SIGTERM")
        self._terminated_at = None

    def _send(self, sig: signal.Signals) -> bool:
        """Signal the worker's process group; False when it does not run."""
        if self.process is None or self.process.poll() is not None:
            return False
        os.killpg(self.process.pid, sig)
        return True

    def __enter__(self) -> OlfWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # ------------------------------------------------------------------ HTTP

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this worker."""
        return f"http://127.0.0.1:{self.web_port}{path}"

    def get_json(self, path: str) -> Any:
        """GET ``path`` on a kept-alive connection (polling every 10 ms needs no new socket).

        Raises:
            OSError: the worker does not answer (yet), or answers with an error status.
        """
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=10)
        try:
            self._connection.request("GET", path)
            response = self._connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._close_connection()
            raise OSError(f"GET {path}: {exc}") from exc
        if response.status != 200:
            raise OSError(f"GET {path}: HTTP {response.status}")
        return orjson.loads(body)

    def summary(self) -> dict[str, Any] | None:
        """The summary, or None while the worker does not answer."""
        try:
            body: dict[str, Any] = self.get_json(SUMMARY)
        except OSError:
            return None
        return body

    def wait_until(
        self,
        read: Callable[[], T | None],
        done: Callable[[T], bool],
        timeout: float,
        what: str,
        every: float = 0.05,
        report: Callable[[T], None] | None = None,
    ) -> T:
        """Poll ``read`` every ``every`` s until ``done``; ``report`` the value about every 10 s.

        Raises:
            WorkerFailed: the worker exited, or ``timeout`` seconds passed first.
        """
        deadline = time.monotonic() + timeout
        next_report = time.monotonic() + 10
        last: T | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise WorkerFailed(
                    f"the worker exited ({self.process.returncode}) while waiting for {what};"
                    f" {self.log_path}:\n{self.log_tail()}"
                )
            value = read()
            if value is not None:
                last = value
                if done(value):
                    return value
                if report is not None and time.monotonic() >= next_report:
                    report(value)
                    next_report = time.monotonic() + 10
            time.sleep(every)
        raise WorkerFailed(
            f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last!r};"
            f" {self.log_path}:\n{self.log_tail()}"
        )

    def time_processing(
        self,
        events: int,
        timeout: float,
        report: Callable[[dict[str, Any]], None] | None = None,
        observe: Callable[[dict[str, Any]], None] | None = None,
    ) -> tuple[float, int]:
        """Wait until the worker has processed ``events``; return (seconds, events timed).

        The count moves in steps (a batch at a time), and the worker may answer
        late while a batch runs. Timing starts at the last summary that showed
        every partition covered and nothing processed yet, so every event
        counts and start-up does not; if the worker first answered after it had
        begun, at that answer, and only the events after it count.
        ``observe`` sees every summary read.
        """
        zero_at: float | None = None

        def read() -> dict[str, Any] | None:
            nonlocal zero_at
            summary = self.summary()
            if summary is not None:
                if processed(summary) == 0 and summary["as_of"]["complete"]:
                    zero_at = time.monotonic()
                if observe is not None:
                    observe(summary)
            return summary

        first = self.wait_until(read, lambda s: processed(s) > 0, timeout, "its first event", 0.01)
        if zero_at is not None:
            started, counted = zero_at, 0
        else:
            started, counted = time.monotonic(), processed(first)
        self.wait_until(
            read, lambda s: processed(s) >= events, timeout, f"all {events:,}", 0.02, report
        )
        return time.monotonic() - started, events - counted


def stop_all(workers: list[OlfWorker], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM every worker at once, then wait for each: none waits on another's rebalance."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.reap(timeout)
