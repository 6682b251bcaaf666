"""OLF settings: one typed, frozen object read from ``OLF_*`` environment variables.

Every default works on a laptop with the local broker from ``dev/kafka/kafka.sh``.
docs/settings.md lists the same names (``tests/unit/test_docs.py`` keeps them in
step), and ``tests/unit/test_docker_compose.py`` keeps ``docker-compose.yml`` in step.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

LOG_FORMATS = ("text", "json")
#: A web origin: scheme, host and optional port, no path.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class SettingsError(ValueError):
    """An ``OLF_*`` environment variable holds a value OLF cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """OLF's configuration; each field is read from ``OLF_<FIELD NAME IN CAPITALS>``."""

    app_id: str = "olf"
    broker_url: str = "kafka://127.0.0.1:9092"
    store_url: str = "rocksdb://"
    data_dir: Path = Path(".local/olf")
    web_bind: str = "127.0.0.1"
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    topic_partitions: int = 8
    #: Replicas of every topic the worker creates (production: 3); at most the brokers.
    topic_replication_factor: int = 1
    #: Replicas that must have a write before it is acknowledged (production: 2).
    topic_min_insync_replicas: int = 1
    customer_events_topic: str = "customer-events"
    standby_replicas: int = 1
    broker_session_timeout: float = 10.0
    #: Seconds between checkpoints (changelog writes, then input offset commits).
    checkpoint_interval: float = 5.0
    #: Most input messages the consumer hands the agent at once.
    batch_size: int = 2000
    #: Seconds a stopping worker may take; past them it exits with code 1 (app.stop_deadline).
    stop_timeout: float = 30.0
    #: Most clients one worker streams ``/api/stream`` to at once; more are answered 503.
    stream_max_clients: int = 1000
    #: Seconds a write to a stream client may take before the client is disconnected.
    stream_write_timeout: float = 10.0
    log_format: str = "text"
    #: Comma-separated origins whose pages may read the API ("*": any); empty: none.
    cors_origins: str = ""
    #: Shared secret the workers send each other on ``/api/internal/``; empty: no check,
    #: which only a worker bound to loopback accepts.
    internal_token: str = field(default="", repr=False)

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        """The origins of :attr:`cors_origins`, without blanks."""
        return tuple(origin.strip() for origin in self.cors_origins.split(",") if origin.strip())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``).

        Raises:
            SettingsError: a variable is set but cannot be converted.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in fields(cls):
            name = env_var_name(spec.name)
            if name not in env:
                continue
            raw = env[name]
            converter = _CONVERTERS[spec.name]
            try:
                values[spec.name] = converter(raw)
            except ValueError as exc:
                raise SettingsError(f"{name}={raw!r} is not valid: {exc}") from None
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise :class:`SettingsError` when values are out of range."""
        if not 1 <= self.web_port <= 65535:
            raise SettingsError(f"{env_var_name('web_port')} must be 1-65535")
        if self.topic_partitions < 1:
            raise SettingsError(f"{env_var_name('topic_partitions')} must be >= 1")
        if self.topic_replication_factor < 1:
            raise SettingsError(f"{env_var_name('topic_replication_factor')} must be >= 1")
        if not 1 <= self.topic_min_insync_replicas <= self.topic_replication_factor:
            # More would refuse every acks=all write to the topic.
            raise SettingsError(
                f"{env_var_name('topic_min_insync_replicas')} must be from 1 to"
                f" {env_var_name('topic_replication_factor')}"
                f" ({self.topic_replication_factor})"
            )
        if not self.app_id:
            raise SettingsError(f"{env_var_name('app_id')} must not be empty")
        if self.broker_session_timeout < 6:
            # Kafka needs a session to outlast several heartbeats; under 6 s it rebalances often.
            raise SettingsError(f"{env_var_name('broker_session_timeout')} must be >= 6 seconds")
        if self.checkpoint_interval <= 0:
            raise SettingsError(f"{env_var_name('checkpoint_interval')} must be > 0 seconds")
        if self.batch_size < 1:
            raise SettingsError(f"{env_var_name('batch_size')} must be >= 1")
        if not 0 < self.stop_timeout < float("inf"):
            raise SettingsError(f"{env_var_name('stop_timeout')} must be > 0 seconds")
        if self.stream_max_clients < 1:
            raise SettingsError(f"{env_var_name('stream_max_clients')} must be >= 1")
        if not 0 < self.stream_write_timeout < float("inf"):
            raise SettingsError(f"{env_var_name('stream_write_timeout')} must be > 0 seconds")
        if self.standby_replicas < 0:
            raise SettingsError(f"{env_var_name('standby_replicas')} must be >= 0")
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(
                f"{env_var_name('log_format')} must be one of: {', '.join(LOG_FORMATS)}"
            )
        if not self.internal_token and not is_loopback(self.web_bind):
            raise SettingsError(
                f"{env_var_name('web_bind')}={self.web_bind} serves the internal API"
                " (/api/internal/) beyond this machine: set"
                f" {env_var_name('internal_token')} to the same long random secret on every"
                " worker, e.g. the output of `openssl rand -hex 32`"
            )
        for origin in self.cors_origin_list:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise SettingsError(
                    f"{env_var_name('cors_origins')}: {origin!r} is neither '*' nor an origin"
                    " such as https://dashboard.example.com"
                )


def env_var_name(field_name: str) -> str:
    """Environment variable that sets ``field_name``."""
    return f"OLF_{field_name.upper()}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name or an address such as 0.0.0.0: reachable from elsewhere


def _integer(raw: str) -> int:
    return int(raw.strip())


def _non_empty(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _stripped(raw: str) -> str:
    return raw.strip()


_CONVERTERS: dict[str, Callable[[str], object]] = {
    "app_id": _non_empty,
    "broker_url": _non_empty,
    "store_url": _non_empty,
    "data_dir": lambda raw: Path(_non_empty(raw)),
    "web_bind": _non_empty,
    "web_host": _non_empty,
    "web_port": _integer,
    "topic_partitions": _integer,
    "topic_replication_factor": _integer,
    "topic_min_insync_replicas": _integer,
    "customer_events_topic": _non_empty,
    "standby_replicas": _integer,
    "broker_session_timeout": float,
    "checkpoint_interval": float,
    "batch_size": _integer,
    "stop_timeout": float,
    "stream_max_clients": _integer,
    "stream_write_timeout": float,
    "log_format": _non_empty,
    "cors_origins": _stripped,
    "internal_token": _stripped,
}
