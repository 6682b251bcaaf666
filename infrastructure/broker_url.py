"""Kafka broker URLs: ``[kafka://]host[:port]``, several separated by commas or semicolons.

One rule for both services: Faust reads ``OLF_BROKER_URL`` and OLF's own
producers and admin client connect to the same servers; the Customer
service's relay reads ``CUSTOMER_SERVICE_BROKER_URL`` the same way, so one
value serves both (``make run`` passes OLF's to the service).
"""

from __future__ import annotations

import re
from typing import Final

#: Kafka's port, taken when a server names none (as Faust and aiokafka do).
DEFAULT_PORT: Final = 9092
SCHEME: Final = "kafka://"
#: A host name, an IPv4 address, or an IPv6 address in brackets; then an optional port.
_SERVER: Final = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?")


def bootstrap_servers(broker_url: str) -> list[str]:
    """``host:port`` of each server of ``broker_url``, in order, as aiokafka wants them.

    ``broker_url`` lists servers separated by ``,`` or ``;`` (Faust accepts
    both), each ``[kafka://]host[:port]``; blanks around them are ignored and
    the port is :data:`DEFAULT_PORT` where none is given.

    Raises:
        ValueError: ``broker_url`` names no server, or a server is not of that form.
    """
    servers = []
    for item in broker_url.replace(";", ",").split(","):
        text = item.strip()
        if not text:
            continue
        match = _SERVER.fullmatch(text.removeprefix(SCHEME).removesuffix("/"))
        port = int(match.group(2) or DEFAULT_PORT) if match else 0
        if match is None or not 1 <= port <= 65535:
            raise ValueError(f"{text!r} is not {SCHEME}host:port")
        servers.append(f"{match.group(1)}:{port}")
    if not servers:
        raise ValueError("names no server")
    return servers
