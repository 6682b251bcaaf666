"""Customer service processes for integration tests: ``python -m customer_service serve``.

Real processes, so a test can stop them gracefully or kill them outright.
Each is listed in the same pid directory as OLF workers, so ``dev/test.sh``
kills it if pytest dies before its fixtures ran.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.error import HTTPError, URLError

import orjson

from tests.integration.broker import REPO_ROOT
from tests.integration.worker import PID_DIR

T = TypeVar("T")

TOKEN: Final = "integration-token"
READY_TIMEOUT: Final = 60.0


class CustomerServiceProcess:
    """One service process (API and relay) in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = int(env["CUSTOMER_SERVICE_PORT"])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process and wait until its API answers.

        Raises:
            AssertionError: it exited or did not answer within ``READY_TIMEOUT``.
        """
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "customer_service", "serve"],
                cwd=REPO_ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        PID_DIR.mkdir(parents=True, exist_ok=True)
        (PID_DIR / str(self.process.pid)).touch()
        self.wait_until(self.status, lambda _body: True, READY_TIMEOUT, "the API to answer")

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

    def request(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """Send one request with the bearer token; the status and the decoded JSON answer."""
        data = None if body is None else orjson.dumps(body)
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, orjson.loads(response.read())
        except HTTPError as error:
            return error.code, orjson.loads(error.read())

    def status(self) -> dict[str, Any]:
        """``GET /status``: the outbox backlog and the relay's state."""
        code, body = self.request("GET", "/status")
        assert code == 200, body
        answer: dict[str, Any] = body
        return answer

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
                    f"customer service exited ({self.process.returncode}) while waiting for "
                    f"{what}\n--- {self.log_path} ---\n{self.log_tail()}"
                )
            try:
                value = read()
            except (URLError, OSError) as exc:
                last = exc
            else:
                if done(value):
                    return value
                last = value
            time.sleep(0.05)
        raise AssertionError(
            f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}\n"
            f"--- {self.log_path} ---\n{self.log_tail()}"
        )

    def wait_until_published(self, timeout: float) -> dict[str, Any]:
        """Wait until the relay published every outbox event; the final status."""
        return self.wait_until(
            self.status,
            lambda body: body["outbox"]["pending"] == 0,
            timeout,
            "the relay to publish every outbox event",
        )
