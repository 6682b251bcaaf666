"""Customer service settings: one frozen object read from ``CUSTOMER_SERVICE_*`` variables.

Every default works on a laptop next to ``make run``. docs/settings.md
lists the same names (``tests/unit/test_docs.py`` keeps them in step).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Final

ENV_PREFIX: Final = "CUSTOMER_SERVICE_"
#: The documented development token; set ``CUSTOMER_SERVICE_TOKEN`` anywhere else.
DEV_TOKEN: Final = "dev-token"


class SettingsError(ValueError):
    """A ``CUSTOMER_SERVICE_*`` variable holds a value the service cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The service's configuration; each field is read from ``CUSTOMER_SERVICE_<FIELD>``."""

    database_url: str = "sqlite+aiosqlite:///.local/customer-service/customers.db"
    bind: str = "127.0.0.1"
    port: int = 6070
    token: str = DEV_TOKEN
    open_reads: bool = True
    broker_url: str = "kafka://127.0.0.1:9092"
    topic: str = "customer-events"
    relay_enabled: bool = True
    relay_batch_size: int = 200
    relay_backoff_initial: float = 0.5
    relay_backoff_max: float = 10.0
    relay_poll_interval: float = 1.0
    relay_request_timeout: float = 15.0
    outbox_retention: float = 7 * 24 * 3600.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``).

        Raises:
            SettingsError: a variable is set but cannot be converted, or is out of range.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            name = env_var_name(field.name)
            if name not in env:
                continue
            raw = env[name]
            try:
                values[field.name] = _CONVERTERS[field.name](raw)
            except ValueError as exc:
                raise SettingsError(f"{name}={raw!r} is not valid: {exc}") from None
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise :class:`SettingsError` when values are out of range."""
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"{env_var_name('port')} must be 1-65535")
        if self.relay_batch_size < 1:
            raise SettingsError(f"{env_var_name('relay_batch_size')} must be >= 1")
        for name in (
            "relay_backoff_initial",
            "relay_backoff_max",
            "relay_poll_interval",
            "relay_request_timeout",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{env_var_name(name)} must be > 0")
        if self.token == DEV_TOKEN and not _is_loopback(self.bind):
            raise SettingsError(
                f"{env_var_name('bind')}={self.bind} serves the network, and"
                f" {env_var_name('token')} is the documented development token: set your own"
            )
        if self.outbox_retention < 0:
            raise SettingsError(f"{env_var_name('outbox_retention')} must be >= 0")
        if self.relay_backoff_max < self.relay_backoff_initial:
            raise SettingsError(
                f"{env_var_name('relay_backoff_max')} must be >= "
                f"{env_var_name('relay_backoff_initial')}"
            )

    @property
    def bootstrap_servers(self) -> str:
        """``broker_url`` as aiokafka wants it: ``host:port[,host:port]``, no scheme."""
        return ",".join(
            server.strip().removeprefix("kafka://") for server in self.broker_url.split(",")
        )

    @property
    def base_url(self) -> str:
        """Where clients on this machine reach the API."""
        return f"http://{self.bind}:{self.port}"


def _is_loopback(bind: str) -> bool:
    """Whether an address to listen on is reachable from this machine only."""
    if bind == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return False  # a host name: assume it reaches the network


def env_var_name(field_name: str) -> str:
    """Environment variable that sets ``field_name``."""
    return f"{ENV_PREFIX}{field_name.upper()}"


def _non_empty(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _integer(raw: str) -> int:
    return int(raw.strip())


def _seconds(raw: str) -> float:
    return float(raw.strip())


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


_CONVERTERS: Final[dict[str, Callable[[str], object]]] = {
    "database_url": _non_empty,
    "bind": _non_empty,
    "port": _integer,
    "token": _non_empty,
    "open_reads": _flag,
    "broker_url": _non_empty,
    "topic": _non_empty,
    "relay_enabled": _flag,
    "relay_batch_size": _integer,
    "relay_backoff_initial": _seconds,
    "relay_backoff_max": _seconds,
    "relay_poll_interval": _seconds,
    "relay_request_timeout": _seconds,
    "outbox_retention": _seconds,
}
