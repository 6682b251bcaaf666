"""OLF settings: one typed, frozen object read from ``OLF_*`` environment variables.

Every default works on a laptop with the local broker from ``dev/kafka/kafka.sh``.
docs/settings.md lists the same names (``tests/unit/test_docs.py`` keeps them in
step), and ``tests/unit/test_docker_compose.py`` keeps ``docker-compose.yml`` in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from infrastructure import environment
from infrastructure.addresses import is_loopback

# Re-exported: OLF's callers catch it from here, beside Settings.
from infrastructure.environment import SettingsError as SettingsError

ENV_PREFIX: Final = "OLF_"
LOG_FORMATS = ("text", "json")
#: A web origin: scheme, host and optional port, no path.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


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
    order_events_topic: str = "order-events"
    #: The compacted topic the leader publishes the merged statistics to (app.publishing).
    statistics_topic: str = "olf-statistics"
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
            SettingsError: a variable is set but cannot be converted, or is out of range.
        """
        return environment.read_settings(cls, ENV_PREFIX, _CONVERTERS, environ)

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
        if not environment.positive_finite(self.checkpoint_interval):
            raise SettingsError(f"{env_var_name('checkpoint_interval')} must be > 0 seconds")
        if self.batch_size < 1:
            raise SettingsError(f"{env_var_name('batch_size')} must be >= 1")
        if not environment.positive_finite(self.stop_timeout):
            raise SettingsError(f"{env_var_name('stop_timeout')} must be > 0 seconds")
        if self.stream_max_clients < 1:
            raise SettingsError(f"{env_var_name('stream_max_clients')} must be >= 1")
        if not environment.positive_finite(self.stream_write_timeout):
            raise SettingsError(f"{env_var_name('stream_write_timeout')} must be > 0 seconds")
        for input_topic in ("customer_events_topic", "order_events_topic"):
            if self.statistics_topic == getattr(self, input_topic):
                # The published snapshots would come back as malformed input events.
                raise SettingsError(
                    f"{env_var_name('statistics_topic')} must differ from"
                    f" {env_var_name(input_topic)}"
                )
        if self.order_events_topic == self.customer_events_topic:
            raise SettingsError(
                f"{env_var_name('order_events_topic')} must differ from"
                f" {env_var_name('customer_events_topic')}"
            )
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
    return environment.variable_name(ENV_PREFIX, field_name)


_CONVERTERS: Final[dict[str, environment.Converter]] = {
    "app_id": environment.non_empty,
    "broker_url": environment.broker_url,
    "store_url": environment.non_empty,
    "data_dir": environment.path,
    "web_bind": environment.non_empty,
    "web_host": environment.non_empty,
    "web_port": environment.integer,
    "topic_partitions": environment.integer,
    "topic_replication_factor": environment.integer,
    "topic_min_insync_replicas": environment.integer,
    "customer_events_topic": environment.non_empty,
    "order_events_topic": environment.non_empty,
    "statistics_topic": environment.non_empty,
    "standby_replicas": environment.integer,
    "broker_session_timeout": environment.seconds,
    "checkpoint_interval": environment.seconds,
    "batch_size": environment.integer,
    "stop_timeout": environment.seconds,
    "stream_max_clients": environment.integer,
    "stream_write_timeout": environment.seconds,
    "log_format": environment.non_empty,
    "cors_origins": environment.stripped,
    "internal_token": environment.stripped,
}
