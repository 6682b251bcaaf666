"""OLF worker processes for integration tests: ``faust -A app.main worker``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.error import URLError

import orjson

from tests.integration.broker import REPO_ROOT, TEST_KAFKA_PORT

# One file per live worker: dev/test.sh kills what is listed here if pytest
# itself dies before its fixtures could stop the workers. Per test broker
# port, so two test runs on one machine leave each other's workers alone.
PID_DIR = REPO_ROOT / ".local" / f"test-workers-{TEST_KAFKA_PORT}"

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_pair() -> int:
    """A port N such that N and N + 1 are both free (a broker and its controller)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("found no two adjacent free ports")


class Worker:
    """One worker process in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.web_port = int(env["OLF_WEB_PORT"])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "faust", "-A", "app.main", "worker", "-l", "info"],
                cwd=REPO_ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own group: a kill reaches any child it forks
            )
        PID_DIR.mkdir(parents=True, exist_ok=True)
        (PID_DIR / str(self.process.pid)).touch()

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Stop the worker; escalate to SIGKILL when it does not exit in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        (PID_DIR / str(self.process.pid)).unlink(missing_ok=True)

    def table_dirs(self) -> list[Path]:
        """The worker's local table directories (RocksDB), under its OLF_DATA_DIR."""
        return sorted(Path(self.env["OLF_DATA_DIR"]).glob("*/v*/tables"))

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def get_text(self, path: str) -> tuple[str, str]:
        """GET ``path``; return the content type and the body as text."""
        with urllib.request.urlopen(self.base_url + path, timeout=5) as response:
            return str(response.headers["Content-Type"]), response.read().decode()

    def get_json(self, path: str) -> Any:
        """GET ``path`` from this worker's web server and decode the JSON body."""
        with urllib.request.urlopen(self.base_url + path, timeout=5) as response:
            return orjson.loads(response.read())

    def wait_until(
        self, read: Callable[[], T], done: Callable[[T], bool], timeout: float, what: str
    ) -> T:
        """Poll ``read`` until ``done`` holds; fail clearly with the last value and log.

        Raises:
            AssertionError: the worker died or ``timeout`` seconds passed first.
        """
        deadline = time.monotonic() + timeout
        last: object = "nothing read yet"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"worker exited ({self.process.returncode}) while waiting for {what}\n"
                    f"--- {self.log_path} ---\n{self.log_tail()}"
                )
            try:
                value = read()
            except (URLError, OSError) as exc:
                last = exc
            else:
                if done(value):
                    return value
                last = value
            time.sleep(0.25)
        raise AssertionError(
            f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}\n"
            f"--- {self.log_path} ---\n{self.log_tail()}"
        )
