"""A deadline for a stopping worker: past it, the process ends itself with exit code 1.

A worker asked to stop (SIGTERM, SIGINT, or a crash of one of its services)
stops its agents and consumer, makes its last checkpoint, and exits. Not every
step of that is bounded. Seen here: a worker sent SIGTERM while its broker
was stopping at the same moment was still running 50 s later: its consumer
thread (Faust's ``AIOKafkaConsumerThread``, faust-streaming 0.15.3) was stuck
in aiokafka 0.14's ``Fetcher.close``, and mode joins that thread, which is no
daemon, without a timeout. A second SIGTERM changes nothing (mode acts on the
first only), so whoever stopped the worker (``make run``, a container runtime)
waits in vain, and the worker keeps its web port.

:func:`arm_stop_deadline` starts a daemon thread that, unless the process has
exited by then, logs one error line and calls :func:`os._exit`, which ends the
process whatever its other threads do. That is safe because OLF's checkpoints
make any crash exact: the state on disk is never ahead of the changelog, and a
restart restores what it lacks and reads the input again from the last
committed offset (see docs/guarantees.md). A forced exit costs only a restore
of the tail. ``OlfApp.on_stop`` (app/factory.py) arms it in worker processes.
"""

from __future__ import annotations

import logging
import os
import threading

from app.settings import env_var_name

#: Exit status of a process the deadline ended.
EXIT_CODE = 1

logger = logging.getLogger(__name__)


def arm_stop_deadline(timeout: float) -> threading.Timer:
    """End this process with :data:`EXIT_CODE` unless it exits within ``timeout`` seconds.

    Returns the started timer; ``cancel()`` disarms it. It is a daemon thread,
    so it never keeps the process alive itself. Arm it only in a process that
    is stopping: ``os._exit`` skips every ``finally`` block and ``atexit``
    handler that has not run yet.
    """
    timer = threading.Timer(timeout, _exit_now, args=(timeout,))
    timer.name = "olf-stop-deadline"
    timer.daemon = True
    timer.start()
    return timer


def _exit_now(timeout: float) -> None:
    try:
        logger.error(
            "Still running %g s after the stop began (%s): exiting now with code %d;"
            " the next start restores the state from the changelog",
            timeout,
            env_var_name("stop_timeout"),
            EXIT_CODE,
        )
    finally:
        os._exit(EXIT_CODE)
