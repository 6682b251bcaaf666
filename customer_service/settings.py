"""Customer service settings: one frozen object read from ``CUSTOMER_SERVICE_*`` variables.

Every default works on a laptop next to ``make run``. docs/settings.md
lists the same names (``tests/unit/test_docs.py`` keeps them in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from infrastructure import environment
from infrastructure.addresses import is_loopback
from infrastructure.broker_url import bootstrap_servers

# Re-exported: the service's callers catch it from here, beside Settings.
from infrastructure.environment import SettingsError as SettingsError
from infrastructure.outbox_relay import RELAY_CONVERTERS, validate_relay_settings

ENV_PREFIX: Final = "CUSTOMER_SERVICE_"
#: The documented development token; set ``CUSTOMER_SERVICE_TOKEN`` anywhere else.
DEV_TOKEN: Final = "dev-token"


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
        return environment.read_settings(cls, ENV_PREFIX, _CONVERTERS, environ)

    def validate(self) -> None:
        """Raise :class:`SettingsError` when values are out of range."""
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"{env_var_name('port')} must be 1-65535")
        validate_relay_settings(self, env_var_name)
        if self.token == DEV_TOKEN and not is_loopback(self.bind):
            raise SettingsError(
                f"{env_var_name('bind')}={self.bind} serves the network, and"
                f" {env_var_name('token')} is the documented development token: set your own"
            )

    @property
    def bootstrap_servers(self) -> str:
        """``broker_url`` as aiokafka wants it: ``host:port[,host:port]``, no scheme."""
        return ",".join(bootstrap_servers(self.broker_url))

    @property
    def base_url(self) -> str:
        """Where clients on this machine reach the API."""
        return f"http://{self.bind}:{self.port}"


def env_var_name(field_name: str) -> str:
    """Environment variable that sets ``field_name``."""
    return environment.variable_name(ENV_PREFIX, field_name)


_CONVERTERS: Final[dict[str, environment.Converter]] = {
    "database_url": environment.non_empty,
    "bind": environment.non_empty,
    "port": environment.integer,
    "token": environment.non_empty,
    "open_reads": environment.flag,
    "broker_url": environment.broker_url,
    "topic": environment.non_empty,
    **RELAY_CONVERTERS,
}
