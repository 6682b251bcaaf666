"""OLF worker processes for integration tests: ``faust -A app.main worker``."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from tests.integration.process import ManagedProcess


class Worker(ManagedProcess):
    """One ``faust -A app.main worker`` process with its web server."""

    name = "worker"

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        command = [sys.executable, "-m", "faust", "-A", "app.main", "worker", "-l", "info"]
        super().__init__(command, env, log_path)
        self.web_port = int(env["OLF_WEB_PORT"])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def table_dirs(self) -> list[Path]:
        """The worker's local table directories (RocksDB), under its OLF_DATA_DIR."""
        return sorted(Path(self.env["OLF_DATA_DIR"]).glob("*/v*/tables"))

    def get_text(self, path: str) -> tuple[str, str]:
        """GET ``path``; return the content type and the body as text."""
        with urllib.request.urlopen(self.base_url + path, timeout=5) as response:
            return str(response.headers["Content-Type"]), response.read().decode()

    def get_json(self, path: str) -> Any:
        """GET ``path`` from this worker's web server and decode the JSON body."""
        with urllib.request.urlopen(self.base_url + path, timeout=5) as response:
            return orjson.loads(response.read())
