"""The stop deadline ends a stuck process with exit code 1, and leaves a prompt one alone.

Each of those cases runs in a subprocess of its own, since the deadline ends the
whole process. A worker arms it as the first step of its stop.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.factory import Olf

REPO_ROOT = Path(__file__).resolve().parents[2]
DEADLINE_LINE = "Still running 1 s after the stop began (OLF_STOP_TIMEOUT): exiting now with code 1"


def run_python(deadline: float, body: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``body`` after arming a deadline; return the result and the seconds it took."""
    script = textwrap.dedent(
        f"""
        import logging, sys, threading, time
        from app.stop_deadline import arm_stop_deadline
        logging.basicConfig(stream=sys.stderr)
        arm_stop_deadline({deadline})
        """
    ) + textwrap.dedent(body)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    "stuck",
    [
        # The main thread never returns.
        "threading.Event().wait()",
        # What the worker met: the main thread is done, but the interpreter
        # waits for a thread that is no daemon and never ends.
        "threading.Thread(target=threading.Event().wait).start()",
    ],
)
def test_a_process_still_running_at_the_deadline_exits_with_code_1(stuck: str) -> None:
    result, seconds = run_python(1.0, stuck)
    assert result.returncode == 1, result.stderr
    assert DEADLINE_LINE in result.stderr
    assert 1.0 <= seconds < 10.0


@pytest.mark.parametrize(("body", "code"), [("pass", 0), ("sys.exit(3)", 3)])
def test_a_process_that_exits_in_time_keeps_its_exit_code(body: str, code: int) -> None:
    result, seconds = run_python(5.0, f"time.sleep(0.2)\n{body}")
    assert result.returncode == code, result.stderr
    assert "Still running" not in result.stderr
    # The deadline's thread is a daemon: the process does not wait for it.
    assert seconds < 5.0


@pytest.mark.parametrize(("in_worker", "armed"), [(True, [4.5]), (False, [])])
async def test_a_worker_arms_the_deadline_before_faust_stops_the_consumer(
    olf_factory: Callable[..., Olf],
    monkeypatch: pytest.MonkeyPatch,
    in_worker: bool,
    armed: list[float],
) -> None:
    steps: list[object] = []
    monkeypatch.setattr("app.factory.arm_stop_deadline", steps.append)
    app = olf_factory(stop_timeout=4.5).app
    app.in_worker = in_worker

    async def stop_consumer() -> None:
        steps.append("consumer stopped")

    monkeypatch.setattr(app, "_stop_consumer", stop_consumer)
    await app.on_stop()
    # Only a worker process: a test process outlives the apps it stops.
    assert steps == [*armed, "consumer stopped"]
