"""OLF settings: one typed, frozen object read from ``OLF_*`` environment variables.

Every default works on a laptop with the local broker from ``dev/kafka/kafka.sh``.
The README's settings table lists the same names; ``tests/unit/test_settings.py``
keeps the two and ``docker-compose.yml`` in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path


class SettingsError(ValueError):
    """An ``OLF_*`` environment variable holds a value OLF cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """OLF's configuration; each field is read from ``OLF_<FIELD NAME IN CAPITALS>``."""

    app_id: str = "olf"
    broker_url: str = "kafka://127.0.0.1:9092"
    store_url: str = "memory://"
    data_dir: Path = Path(".local/olf")
    web_bind: str = "127.0.0.1"
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    topic_partitions: int = 8
    customer_events_topic: str = "customer-events"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``).

        Raises:
            SettingsError: a variable is set but cannot be converted.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            name = env_var_name(field.name)
            if name not in env:
                continue
            raw = env[name]
            converter = _CONVERTERS[field.name]
            try:
                values[field.name] = converter(raw)
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
        if not self.app_id:
            raise SettingsError(f"{env_var_name('app_id')} must not be empty")


def env_var_name(field_name: str) -> str:
    """Environment variable that sets ``field_name``."""
    return f"OLF_{field_name.upper()}"


def _positive_int(raw: str) -> int:
    return int(raw.strip())


def _non_empty(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


_CONVERTERS = {
    "app_id": _non_empty,
    "broker_url": _non_empty,
    "store_url": _non_empty,
    "data_dir": lambda raw: Path(_non_empty(raw)),
    "web_bind": _non_empty,
    "web_host": _non_empty,
    "web_port": _positive_int,
    "topic_partitions": _positive_int,
    "customer_events_topic": _non_empty,
}
