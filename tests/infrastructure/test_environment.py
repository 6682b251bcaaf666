"""Settings from environment variables: defaults, conversion, and refusals naming the variable."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from infrastructure import environment
from infrastructure.environment import SettingsError, read_settings

PREFIX: Final = "EXAMPLE_"


@dataclass(frozen=True, slots=True)
class Example:
    """A service's settings in miniature: one field per converter."""

    name: str = "example"
    note: str = ""
    count: int = 1
    timeout: float = 2.5
    enabled: bool = True
    data_dir: Path = Path(".local/example")
    broker_url: str = "kafka://127.0.0.1:9092"

    def validate(self) -> None:
        if self.count < 1:
            raise SettingsError("EXAMPLE_COUNT must be >= 1")


CONVERTERS: Final[dict[str, environment.Converter]] = {
    "name": environment.non_empty,
    "note": environment.stripped,
    "count": environment.integer,
    "timeout": environment.seconds,
    "enabled": environment.flag,
    "data_dir": environment.path,
    "broker_url": environment.broker_url,
}


def read(env: dict[str, str]) -> Example:
    return read_settings(Example, PREFIX, CONVERTERS, env)


def test_unset_variables_keep_the_defaults() -> None:
    assert read({"OTHER_COUNT": "7", "COUNT": "7"}) == Example()


def test_each_field_from_its_variable() -> None:
    settings = read(
        {
            "EXAMPLE_NAME": " olf ",
            "EXAMPLE_NOTE": "  ",
            "EXAMPLE_COUNT": " 3 ",
            "EXAMPLE_TIMEOUT": "0.5",
            "EXAMPLE_ENABLED": "Off",
            "EXAMPLE_DATA_DIR": "/var/lib/example",
            "EXAMPLE_BROKER_URL": "kafka://k1:9092, k2",
        }
    )
    assert settings == Example(
        name="olf",
        note="",
        count=3,
        timeout=0.5,
        enabled=False,
        data_dir=Path("/var/lib/example"),
        broker_url="kafka://k1:9092, k2",
    )


def test_os_environ_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_COUNT", "4")
    assert read_settings(Example, PREFIX, CONVERTERS).count == 4


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("COUNT", "many", "EXAMPLE_COUNT='many' is not valid: invalid literal for int()"),
        ("NAME", "  ", "EXAMPLE_NAME='  ' is not valid: must not be empty"),
        ("DATA_DIR", "", "EXAMPLE_DATA_DIR='' is not valid: must not be empty"),
        ("TIMEOUT", "soon", "EXAMPLE_TIMEOUT='soon' is not valid: could not convert"),
        ("ENABLED", "maybe", "EXAMPLE_ENABLED='maybe' is not valid: must be true or false"),
        ("BROKER_URL", "http://k1", "EXAMPLE_BROKER_URL='http://k1' is not valid: 'http://k1' is"),
        ("BROKER_URL", " ", "EXAMPLE_BROKER_URL=' ' is not valid: must not be empty"),
    ],
)
def test_an_unusable_value_is_refused_naming_its_variable(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        read({f"{PREFIX}{name}": value})
    assert str(refused.value).startswith(message)


def test_the_values_are_validated_after_conversion() -> None:
    with pytest.raises(SettingsError, match=r"^EXAMPLE_COUNT must be >= 1$"):
        read({"EXAMPLE_COUNT": "0"})


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        *[("1", True), ("TRUE", True), ("yes", True), (" on ", True)],
        *[("0", False), ("False", False), ("no", False), ("off", False)],
    ],
)
def test_flags(raw: str, value: bool) -> None:
    assert environment.flag(raw) is value


def test_seconds_leave_nan_and_inf_to_validation() -> None:
    assert math.isnan(environment.seconds("nan"))
    assert environment.seconds(" inf ") == math.inf


@pytest.mark.parametrize(
    ("value", "usable"),
    [(0.001, True), (30.0, True), (0, False), (-1.0, False), (math.inf, False), (math.nan, False)],
)
def test_a_duration_is_positive_and_finite(value: float, usable: bool) -> None:
    assert environment.positive_finite(value) is usable


def test_variable_names_are_the_prefix_and_the_field_in_capitals() -> None:
    assert environment.variable_name("OLF_", "web_port") == "OLF_WEB_PORT"
