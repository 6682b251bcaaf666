"""Broker URLs: one reading of ``[kafka://]host[:port]`` lists for both services."""

from __future__ import annotations

import pytest

from infrastructure.broker_url import bootstrap_servers


@pytest.mark.parametrize(
    ("broker_url", "servers"),
    [
        ("kafka://127.0.0.1:9092", ["127.0.0.1:9092"]),
        ("127.0.0.1:19092", ["127.0.0.1:19092"]),
        ("kafka://kafka", ["kafka:9092"]),
        ("kafka://k1:9092, k2:9093", ["k1:9092", "k2:9093"]),
        ("kafka://k1:9092;kafka://k2:9093", ["k1:9092", "k2:9093"]),
        (" kafka://k1:9092/ ,", ["k1:9092"]),
        ("kafka://[::1]:9092,[fe80::1]", ["[::1]:9092", "[fe80::1]:9092"]),
    ],
)
def test_each_server_as_host_and_port(broker_url: str, servers: list[str]) -> None:
    assert bootstrap_servers(broker_url) == servers


@pytest.mark.parametrize(
    ("broker_url", "message"),
    [
        ("", "names no server"),
        (" , ;", "names no server"),
        ("http://k1:9092", "'http://k1:9092' is not kafka://host:port"),
        ("kafka://k1:port", "'kafka://k1:port' is not kafka://host:port"),
        ("kafka://k1:0", "'kafka://k1:0' is not kafka://host:port"),
        ("kafka://k1:70000", "'kafka://k1:70000' is not kafka://host:port"),
        ("kafka://:9092", "'kafka://:9092' is not kafka://host:port"),
        ("k1:9092/topic", "'k1:9092/topic' is not kafka://host:port"),
    ],
)
def test_anything_else_is_refused_saying_what(broker_url: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        bootstrap_servers(broker_url)
