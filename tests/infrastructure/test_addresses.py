"""Which bind addresses keep a server on this machine."""

from __future__ import annotations

import pytest

from infrastructure.addresses import is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_addresses_stay_on_this_machine(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "10.0.0.7", "192.0.2.7", "olf-1", "api.example.com", ""]
)
def test_every_other_address_or_name_reaches_the_network(host: str) -> None:
    assert not is_loopback(host)
