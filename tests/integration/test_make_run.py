"""``make run`` leaves nothing behind, however a user ends it.

Each case runs ``dev/run.sh`` (what ``make run`` runs) on spare ports, with a
broker, data and logs of its own, waits until it prints that OLF is running,
ends it as a user would, and then finds none of its processes still running
and none of its ports answering:

- the terminal it runs in is closed (the session's leader gets SIGHUP, and every
  later write to the terminal fails);
- its output goes to a pipe whose reader is gone, and Ctrl-C reaches its
  process group (``make run | tee run.log``, then Ctrl-C: tee ends first).

Every process ``dev/run.sh`` starts inherits the environment variable
:data:`MARKER`, which is how leftovers are found. Whatever happens, the test
kills what is left, stops the broker and removes its data.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from tests.integration.broker import REPO_ROOT, PrivateBroker, kafka_script

#: Its own broker port: 19492 unless OLF_TEST_MAKE_RUN_KAFKA_PORT names another, for
#: two checkouts testing at once on one machine.
KAFKA_PORT = int(os.environ.get("OLF_TEST_MAKE_RUN_KAFKA_PORT", "19492"))
#: Ports of the worker and both services: 16466, 16470, 16472 unless moved by the same offset.
WEB_PORT_OFFSET = KAFKA_PORT - 19492
WORKER_PORT, CUSTOMER_PORT, ORDERS_PORT = (
    16466 + WEB_PORT_OFFSET,
    16470 + WEB_PORT_OFFSET,
    16472 + WEB_PORT_OFFSET,
)
#: What the run listens on: the broker, its KRaft controller, the worker, both services.
RUN_PORTS = (KAFKA_PORT, KAFKA_PORT + 1, WORKER_PORT, CUSTOMER_PORT, ORDERS_PORT)
#: Set in the run's environment; every process it starts inherits it.
MARKER = "OLF_TEST_MAKE_RUN"
READY_LINE = b"OLF is running"
#: A fresh broker, topics, a worker and the Customer service on a busy 2-core machine.
READY_TIMEOUT = 180.0
#: From the signal until the last process of the run has gone.
STOP_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Run:
    """The environment of one ``dev/run.sh`` and where its children log."""

    env: dict[str, str]
    marker: str
    log_dir: Path

    def logs(self) -> str:
        """The last lines of each child's log, for failure messages."""
        parts = []
        for log in sorted(self.log_dir.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {log.name} ---\n" + "\n".join(lines))
        return "\n".join(parts)


def run_processes(marker: str | None) -> list[str]:
    """The processes still running whose environment holds ``marker``: "pid command" each.

    ``None``: those of any run of this test, including earlier, killed ones.
    """
    entry = f"{MARKER}={marker or ''}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        # A zombie's environment reads empty: it no longer runs.
        variables = environ.split(b"\0")
        if marker:
            ours = entry in variables
        else:
            ours = any(variable.startswith(entry) for variable in variables)
        if ours:
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{proc.name} {command}")
    return found


def answering_ports() -> list[int]:
    """The ports of :data:`RUN_PORTS` that accept a connection."""
    answering = []
    for port in RUN_PORTS:
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                answering.append(port)
    return answering


def kill_run(marker: str | None) -> None:
    """SIGKILL every process of the run, until none is left (a few rounds at most)."""
    for _ in range(10):
        leftovers = run_processes(marker)
        if not leftovers:
            return
        for line in leftovers:
            pid = int(line.split(" ", 1)[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """A run's environment on spare ports; afterwards nothing of it is left, pass or fail."""
    busy = answering_ports()
    if busy:
        # What an earlier test run left when it was killed is ours to stop; anything else is not.
        kill_run(None)
        kafka_script("stop", KAFKA_PORT)
        busy = answering_ports()
    assert not busy, f"ports {busy} are in use: this test needs {RUN_PORTS} free"
    marker = uuid.uuid4().hex
    log_dir = tmp_path / "run"
    env = {
        name: value
        for name, value in os.environ.items()
        # run.sh derives these from the ports below.
        if name
        not in {
            "OLF_BROKER_URL",
            "CUSTOMER_SERVICE_BROKER_URL",
            "ORDERS_SERVICE_BROKER_URL",
            "ORDERS_SERVICE_CUSTOMER_SERVICE_URL",
        }
    }
    env.update(
        {
            MARKER: marker,
            "OLF_KAFKA_PORT": str(KAFKA_PORT),
            "OLF_WEB_PORT": str(WORKER_PORT),
            "CUSTOMER_SERVICE_PORT": str(CUSTOMER_PORT),
            "ORDERS_SERVICE_PORT": str(ORDERS_PORT),
            "ORDERS_SERVICE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
            "OLF_DATA_DIR": str(tmp_path / "olf"),
            "OLF_RUN_LOG_DIR": str(log_dir),
            "CUSTOMER_SERVICE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'customers.db'}",
        }
    )
    yield Run(env=env, marker=marker, log_dir=log_dir)
    kill_run(marker)
    kafka_script("stop", KAFKA_PORT)
    PrivateBroker(KAFKA_PORT).remove_data()


def read_until_ready(output: int, run: Run) -> bytes:
    """Read the run's output from the file descriptor ``output`` until it says it is running.

    Raises:
        AssertionError: the output ended, or :data:`READY_TIMEOUT` passed, first.
    """
    seen = b""
    deadline = time.monotonic() + READY_TIMEOUT
    while READY_LINE not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {READY_LINE!r} within {READY_TIMEOUT:.0f}s:\n{seen!r}\n{run.logs()}"
        readable, _, _ = select.select([output], [], [], left)
        if not readable:
            continue
        try:
            chunk = os.read(output, 4096)
        except OSError:  # a terminal whose other side is closed: EIO
            chunk = b""
        assert chunk, f"the run ended before it was running:\n{seen.decode()}\n{run.logs()}"
        seen += chunk
    return seen


def assert_nothing_left(script: subprocess.Popen[bytes], run: Run, since: float) -> None:
    """Within :data:`STOP_TIMEOUT` of ``since``, run.sh has exited and nothing of it is left."""
    deadline = since + STOP_TIMEOUT
    with contextlib.suppress(subprocess.TimeoutExpired):
        script.wait(max(0.0, deadline - time.monotonic()))
    while (run_processes(run.marker) or answering_ports()) and time.monotonic() < deadline:
        time.sleep(0.5)
    leftovers = run_processes(run.marker)
    busy = answering_ports()
    assert script.returncode is not None, "run.sh still runs"
    assert not leftovers, f"still running {STOP_TIMEOUT:.0f}s after the signal: {leftovers}"
    assert not busy, f"ports still answering: {busy}\n{run.logs()}"


def test_closing_the_terminal_stops_everything(run: Run) -> None:
    main, terminal = os.openpty()
    # setsid --ctty: run.sh leads a session of its own with this terminal as its
    # controlling terminal, as a shell in a terminal window does.
    script = subprocess.Popen(
        ["setsid", "--ctty", "bash", "dev/run.sh"],
        cwd=REPO_ROOT,
        env=run.env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    try:
        read_until_ready(main, run)
    finally:
        closed_at = time.monotonic()
        os.close(main)  # the terminal goes away: SIGHUP to the session
    assert_nothing_left(script, run, closed_at)


def test_ctrl_c_with_the_output_piped_stops_everything(run: Run) -> None:
    script = subprocess.Popen(
        ["bash", "dev/run.sh"],
        cwd=REPO_ROOT,
        env=run.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a group of its own, as a terminal's foreground job
    )
    output: IO[bytes] | None = script.stdout
    assert output is not None
    try:
        read_until_ready(output.fileno(), run)
    finally:
        output.close()  # the reader is gone, as tee is after Ctrl-C
        interrupted_at = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(script.pid, signal.SIGINT)
    assert_nothing_left(script, run, interrupted_at)
