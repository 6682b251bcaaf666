"""Progress lines while the benchmark runs (it is long): each with the time since it began."""

from __future__ import annotations

import time

_STARTED = time.monotonic()


def say(message: str) -> None:
    """Print ``message`` at once, prefixed with minutes:seconds since the run began."""
    elapsed = int(time.monotonic() - _STARTED)
    print(f"bench [{elapsed // 60:3d}:{elapsed % 60:02d}] {message}", flush=True)
