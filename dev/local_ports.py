"""Ports on 127.0.0.1 for servers that tests and benchmarks start, and may restart.

Why not port 0: the kernel answers it from its ephemeral range, the same
range it takes the local end of every outgoing connection from. While a
server on such a port is down, any client's connection may take the port,
and the server cannot bind it again. Seen in CI: a private broker stopped
for an outage test found its controller port held by a connection and
failed to restart, twice. Ports below the ephemeral range are never handed
out that way, so a restart finds its port free unless a server holds it.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: Below the fixed ports OLF's tools use (19092 the test broker, 19292 the
#: benchmark's, 19392 the cluster, 19492 make run's test).
LOWEST = 20000
#: What Linux starts its ephemeral range at unless configured otherwise.
DEFAULT_EPHEMERAL_START = 32768

_handed_out: set[int] = set()
#: Its own generator: tests may seed the global one, which would repeat picks.
_pick = random.Random()


def ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_EPHEMERAL_START


def is_free(port: int) -> bool:
    """Whether a server could bind ``port`` on 127.0.0.1 now."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int = 1) -> int:
    """The first of ``count`` adjacent free ports below the ephemeral range.

    No port is handed out twice by one process, so servers picked one after
    the other before any of them binds still get different ports.

    Raises:
        RuntimeError: no such run of ports was found (the range is crowded).
    """
    highest = ephemeral_start() - count
    if highest < LOWEST:
        raise RuntimeError(
            f"the ephemeral range starts at {highest + count}, leaving no ports above {LOWEST}"
        )
    for _ in range(200):
        first = _pick.randint(LOWEST, highest)
        run = range(first, first + count)
        if _handed_out.isdisjoint(run) and all(is_free(port) for port in run):
            _handed_out.update(run)
            return first
    raise RuntimeError(f"found no {count} adjacent free ports between {LOWEST} and {highest}")


def free_port() -> int:
    """A free port below the ephemeral range, for one server."""
    return free_ports(1)
