"""Listening addresses: which of them keep a server on this machine.

Both services refuse to serve beyond loopback without a secret of their own
(OLF its internal token, the Customer service a token other than the
documented one), so both ask the same question of their bind address.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only.

    Any other name counts as reachable from elsewhere: what it resolves to is
    not known when settings are read.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: assume it reaches the network
