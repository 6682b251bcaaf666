"""Settings read from environment variables: one variable per field, named ``<PREFIX><FIELD>``.

Each service declares its settings as a frozen dataclass with a default per
field, a converter per field and a ``validate`` method for the rules that
span fields or ranges; :func:`read_settings` does the rest the same way for
both. A variable that is set but unusable is refused with a message naming
it and its value, e.g. ``OLF_WEB_PORT='web' is not valid: ...``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import Field, fields
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from infrastructure.broker_url import bootstrap_servers

#: Turns a variable's text into a field's value; raises ValueError saying why it cannot.
Converter = Callable[[str], object]


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


class EnvironmentSettings(Protocol):
    """A dataclass of settings that checks its own values."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def validate(self) -> None:
        """Raise :class:`SettingsError` when values are out of range."""


S = TypeVar("S", bound=EnvironmentSettings)


def variable_name(prefix: str, field_name: str) -> str:
    """The environment variable that sets ``field_name``: ``prefix`` and the name in capitals."""
    return f"{prefix}{field_name.upper()}"


def read_settings(
    settings_type: type[S],
    prefix: str,
    converters: Mapping[str, Converter],
    environ: Mapping[str, str] | None = None,
) -> S:
    """Settings from ``environ`` (default ``os.environ``), validated.

    A field whose variable is unset keeps its default. ``converters`` must
    name every field.

    Raises:
        SettingsError: a variable is set but cannot be converted, or
            ``validate`` refuses the values.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for spec in fields(settings_type):
        name = variable_name(prefix, spec.name)
        if name not in env:
            continue
        raw = env[name]
        try:
            values[spec.name] = converters[spec.name](raw)
        except ValueError as exc:
            raise SettingsError(f"{name}={raw!r} is not valid: {exc}") from None
    settings = settings_type(**values)
    settings.validate()
    return settings


def non_empty(raw: str) -> str:
    """The text without surrounding blanks, which must leave something."""
    value = raw.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def stripped(raw: str) -> str:
    """The text without surrounding blanks; empty is a value (e.g. "none")."""
    return raw.strip()


def integer(raw: str) -> int:
    return int(raw.strip())


def seconds(raw: str) -> float:
    """A number of seconds; ``nan`` and ``inf`` pass, for ``validate`` to refuse by range."""
    return float(raw.strip())


def flag(raw: str) -> bool:
    """``true``/``false``, also ``1``/``0``, ``yes``/``no``, ``on``/``off``, in any case."""
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def path(raw: str) -> Path:
    return Path(non_empty(raw))


def broker_url(raw: str) -> str:
    """A Kafka broker URL as :func:`~infrastructure.broker_url.bootstrap_servers` reads it.

    Checked here so that a bad one stops the service at start, naming its
    variable, rather than its first connection.
    """
    value = non_empty(raw)
    bootstrap_servers(value)
    return value


def positive_finite(value: float) -> bool:
    """Whether ``value`` is a usable duration: more than zero, and neither ``inf`` nor ``nan``."""
    return value > 0 and math.isfinite(value)
