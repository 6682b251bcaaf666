"""Peak resident memory of a process, from Linux's ``/proc``."""

from __future__ import annotations

import os
from pathlib import Path


def peak_rss_mb(pid: int | None = None) -> float:
    """VmHWM (the high-water mark of resident memory) of ``pid``, default this process, in MiB.

    Raises:
        RuntimeError: the process is gone or the kernel does not report VmHWM.
    """
    pid = os.getpid() if pid is None else pid
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError as exc:
        raise RuntimeError(f"no /proc status for pid {pid}") from exc
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")
