"""Ports for servers tests restart lie below the kernel's ephemeral range."""

from __future__ import annotations

import socket

from dev.local_ports import LOWEST, ephemeral_start, free_ports, is_free


def test_a_pair_is_free_adjacent_and_out_of_the_ephemeral_range() -> None:
    first = free_ports(2)

    assert first >= LOWEST
    assert first + 1 < ephemeral_start()
    assert is_free(first)
    assert is_free(first + 1)


def test_no_port_is_handed_out_twice() -> None:
    picked = [free_ports(2) for _ in range(50)]

    ports = [port for first in picked for port in (first, first + 1)]
    assert len(set(ports)) == len(ports)


def test_a_port_a_server_holds_is_not_free() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not is_free(server.getsockname()[1])
