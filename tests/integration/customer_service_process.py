"""Customer service processes for integration tests: ``python -m customer_service serve``.

Real processes (see :mod:`tests.integration.process`), so a test can stop
them gracefully or kill them outright.
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path
from typing import Any, Final
from urllib.error import HTTPError

import orjson

from tests.integration.process import ManagedProcess

TOKEN: Final = "integration-token"
READY_TIMEOUT: Final = 60.0


class CustomerServiceProcess(ManagedProcess):
    """One service process (API and relay)."""

    name = "customer service"

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__([sys.executable, "-m", "customer_service", "serve"], env, log_path)
        self.port = int(env["CUSTOMER_SERVICE_PORT"])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process and wait until its API answers.

        Raises:
            AssertionError: it exited or did not answer within ``READY_TIMEOUT``.
        """
        super().start()
        self.wait_until(self.status, lambda _body: True, READY_TIMEOUT, "the API to answer")

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

    def wait_until_published(self, timeout: float) -> dict[str, Any]:
        """Wait until the relay published every outbox event; the final status."""
        return self.wait_until(
            self.status,
            lambda body: body["outbox"]["pending"] == 0,
            timeout,
            "the relay to publish every outbox event",
        )
