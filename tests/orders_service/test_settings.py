"""Orders service settings: read from ORDERS_SERVICE_* variables, refused when unusable."""

from __future__ import annotations

import pytest

from orders_service.settings import Settings, SettingsError


def test_defaults_work_on_a_laptop_next_to_make_run() -> None:
    settings = Settings.from_env({})

    assert (settings.port, settings.topic) == (6072, "order-events")
    assert settings.customer_service_url == "http://127.0.0.1:6070"


def test_every_field_is_read_from_its_variable() -> None:
    settings = Settings.from_env(
        {
            "ORDERS_SERVICE_PORT": "7000",
            "ORDERS_SERVICE_CUSTOMER_SERVICE_URL": "http://customers:80/",
            "ORDERS_SERVICE_RETRY_AFTER": "9",
            "ORDERS_SERVICE_RELAY_ENABLED": "false",
            "ORDERS_SERVICE_BROKER_URL": "kafka://a:1,b:2",
        }
    )

    assert settings.port == 7000
    assert settings.customer_service_url == "http://customers:80"
    assert settings.retry_after == 9
    assert settings.relay_enabled is False
    assert settings.bootstrap_servers == "a:1,b:2"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ORDERS_SERVICE_PORT", "0", "ORDERS_SERVICE_PORT must be 1-65535"),
        ("ORDERS_SERVICE_CUSTOMER_SERVICE_URL", "customers:80", "must be an http"),
        ("ORDERS_SERVICE_CUSTOMER_CHECK_TIMEOUT", "0", "CUSTOMER_CHECK_TIMEOUT must be > 0"),
        ("ORDERS_SERVICE_RETRY_AFTER", "0", "ORDERS_SERVICE_RETRY_AFTER must be >= 1"),
        ("ORDERS_SERVICE_RELAY_BATCH_SIZE", "0", "ORDERS_SERVICE_RELAY_BATCH_SIZE must be >= 1"),
        ("ORDERS_SERVICE_BIND", "0.0.0.0", "development token"),
    ],
)
def test_unusable_values_are_refused_naming_the_variable(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({variable: value})
