"""Settings: defaults and the environment; tests/unit/test_docs.py checks their docs."""

from __future__ import annotations

from dataclasses import fields

import pytest

from customer_service.settings import DEV_TOKEN, Settings, SettingsError, env_var_name


def test_defaults_work_on_a_laptop() -> None:
    settings = Settings.from_env({})

    assert settings == Settings()
    assert (settings.bind, settings.port) == ("127.0.0.1", 6070)
    assert settings.token == DEV_TOKEN == "dev-token"
    assert settings.open_reads is True
    assert settings.topic == "customer-events"
    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")


def test_every_setting_comes_from_its_variable() -> None:
    env = {
        "CUSTOMER_SERVICE_DATABASE_URL": "postgresql+asyncpg://cs:secret@db/customers",
        "CUSTOMER_SERVICE_BIND": "127.0.0.2",
        "CUSTOMER_SERVICE_PORT": "7000",
        "CUSTOMER_SERVICE_TOKEN": "s3cret",
        "CUSTOMER_SERVICE_OPEN_READS": "false",
        "CUSTOMER_SERVICE_BROKER_URL": "kafka://k1:9092, k2:9093",
        "CUSTOMER_SERVICE_TOPIC": "customers",
        "CUSTOMER_SERVICE_RELAY_ENABLED": "no",
        "CUSTOMER_SERVICE_RELAY_BATCH_SIZE": "10",
        "CUSTOMER_SERVICE_RELAY_BACKOFF_INITIAL": "0.1",
        "CUSTOMER_SERVICE_RELAY_BACKOFF_MAX": "3",
        "CUSTOMER_SERVICE_RELAY_POLL_INTERVAL": "0.5",
        "CUSTOMER_SERVICE_RELAY_REQUEST_TIMEOUT": "5",
        "CUSTOMER_SERVICE_OUTBOX_RETENTION": "0",
    }

    settings = Settings.from_env(env)

    assert settings == Settings(
        database_url="postgresql+asyncpg://cs:secret@db/customers",
        bind="127.0.0.2",
        port=7000,
        token="s3cret",
        open_reads=False,
        broker_url="kafka://k1:9092, k2:9093",
        topic="customers",
        relay_enabled=False,
        relay_batch_size=10,
        relay_backoff_initial=0.1,
        relay_backoff_max=3.0,
        relay_poll_interval=0.5,
        relay_request_timeout=5.0,
        outbox_retention=0.0,
    )
    assert settings.bootstrap_servers == "k1:9092,k2:9093"
    assert set(env) == {env_var_name(field.name) for field in fields(Settings)}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "web", "PORT='web' is not valid"),
        ("PORT", "70000", "PORT must be 1-65535"),
        ("OPEN_READS", "maybe", "OPEN_READS='maybe' is not valid: must be true or false"),
        ("TOKEN", "  ", "TOKEN='  ' is not valid: must not be empty"),
        ("RELAY_BATCH_SIZE", "0", "RELAY_BATCH_SIZE must be >= 1"),
        ("RELAY_POLL_INTERVAL", "0", "RELAY_POLL_INTERVAL must be > 0"),
        ("RELAY_REQUEST_TIMEOUT", "nan", "RELAY_REQUEST_TIMEOUT must be > 0"),
        ("OUTBOX_RETENTION", "-1", "OUTBOX_RETENTION must be >= 0"),
        ("OUTBOX_RETENTION", "inf", "OUTBOX_RETENTION must be >= 0"),
        ("BROKER_URL", "k1:9092/x", "BROKER_URL='k1:9092/x' is not valid: 'k1:9092/x' is not"),
        ("RELAY_BACKOFF_MAX", "0.1", "RELAY_BACKOFF_MAX must be >= CUSTOMER_SERVICE_RELAY_BACKOFF"),
    ],
)
def test_an_unusable_value_is_refused_naming_its_variable(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({f"CUSTOMER_SERVICE_{name}": value})
    assert str(refused.value).startswith(f"CUSTOMER_SERVICE_{message}")


@pytest.mark.parametrize("bind", ["0.0.0.0", "192.0.2.7", "::", "api.example.com"])
def test_the_development_token_is_refused_on_an_address_others_reach(bind: str) -> None:
    with pytest.raises(SettingsError, match="CUSTOMER_SERVICE_TOKEN"):
        Settings.from_env({"CUSTOMER_SERVICE_BIND": bind})
    own = Settings.from_env({"CUSTOMER_SERVICE_BIND": bind, "CUSTOMER_SERVICE_TOKEN": "s3cret"})
    assert own.bind == bind


@pytest.mark.parametrize("bind", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_the_development_token_is_fine_on_loopback(bind: str) -> None:
    assert Settings.from_env({"CUSTOMER_SERVICE_BIND": bind}).token == "dev-token"
