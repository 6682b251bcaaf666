"""Real processes for integration tests, each in its own process group, logging to a file.

A test may stop one gracefully or kill it outright (``kill -9`` reaches any
child it forked too). Each live process is listed in :data:`PID_DIR`, so
``dev/test.sh`` kills it if pytest itself dies before its fixtures ran.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.error import URLError

from tests.integration.broker import REPO_ROOT, TEST_KAFKA_PORT

# Per test broker port, so two test runs on one machine leave each other's
# processes alone.
PID_DIR = REPO_ROOT / ".local" / f"test-workers-{TEST_KAFKA_PORT}"

T = TypeVar("T")


class ManagedProcess:
    """One process of ``command``, run from the repository with ``env`` added."""

    #: How the process is named in failure messages.
    name = "process"

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.command = command
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO_ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own group: a kill reaches any child it forks
            )
        PID_DIR.mkdir(parents=True, exist_ok=True)
        (PID_DIR / str(self.process.pid)).touch()

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Stop the process (SIGKILL for a crash); escalate to SIGKILL if it lingers."""
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

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(
        self, read: Callable[[], T], done: Callable[[T], bool], timeout: float, what: str
    ) -> T:
        """Poll ``read`` until ``done`` holds; fail clearly with the last value and the log.

        Raises:
            AssertionError: the process died or ``timeout`` seconds passed first.
        """
        deadline = time.monotonic() + timeout
        last: object = "nothing read yet"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited ({self.process.returncode}) while waiting for {what}\n"
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
            time.sleep(0.1)
        raise AssertionError(
            f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}\n"
            f"--- {self.log_path} ---\n{self.log_tail()}"
        )
