"""Settings come from OLF_* variables, with defaults that work on a laptop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.factory import Olf, OlfApp
from app.settings import Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.broker_url == "kafka://127.0.0.1:9092"
    assert (settings.web_bind, settings.web_port) == ("127.0.0.1", 6066)
    assert settings.topic_partitions == 8
    assert settings.customer_events_topic == "customer-events"
    assert settings.statistics_topic == "olf-statistics"


def test_every_field_is_overridable_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "OLF_APP_ID": "olf-eu",
            "OLF_BROKER_URL": "kafka://kafka:9092",
            "OLF_STORE_URL": "rocksdb://",
            "OLF_DATA_DIR": "/var/lib/olf",
            "OLF_WEB_BIND": "0.0.0.0",
            "OLF_WEB_HOST": "olf-1",
            "OLF_WEB_PORT": "7000",
            "OLF_TOPIC_PARTITIONS": "4",
            "OLF_TOPIC_REPLICATION_FACTOR": "3",
            "OLF_TOPIC_MIN_INSYNC_REPLICAS": "2",
            "OLF_CUSTOMER_EVENTS_TOPIC": "events",
            "OLF_STATISTICS_TOPIC": "olf-eu-statistics",
            "OLF_STANDBY_REPLICAS": "0",
            "OLF_BROKER_SESSION_TIMEOUT": "30",
            "OLF_LOG_FORMAT": "json",
            "OLF_CORS_ORIGINS": " https://dash.example.com, http://localhost:3000 ",
            "OLF_INTERNAL_TOKEN": " 5ecret ",
        }
    )
    assert settings == Settings(
        app_id="olf-eu",
        broker_url="kafka://kafka:9092",
        store_url="rocksdb://",
        data_dir=Path("/var/lib/olf"),
        web_bind="0.0.0.0",
        web_host="olf-1",
        web_port=7000,
        topic_partitions=4,
        topic_replication_factor=3,
        topic_min_insync_replicas=2,
        customer_events_topic="events",
        statistics_topic="olf-eu-statistics",
        standby_replicas=0,
        broker_session_timeout=30.0,
        log_format="json",
        cors_origins="https://dash.example.com, http://localhost:3000",
        internal_token="5ecret",
    )
    assert settings.cors_origin_list == ("https://dash.example.com", "http://localhost:3000")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OLF_WEB_PORT", "web", "OLF_WEB_PORT='web' is not valid"),
        ("OLF_WEB_PORT", "70000", "OLF_WEB_PORT must be 1-65535"),
        ("OLF_TOPIC_PARTITIONS", "0", "OLF_TOPIC_PARTITIONS must be >= 1"),
        ("OLF_APP_ID", "  ", "OLF_APP_ID='  ' is not valid"),
        ("OLF_TOPIC_REPLICATION_FACTOR", "0", "OLF_TOPIC_REPLICATION_FACTOR must be >= 1"),
        ("OLF_TOPIC_MIN_INSYNC_REPLICAS", "0", "OLF_TOPIC_MIN_INSYNC_REPLICAS must be from 1"),
        ("OLF_STANDBY_REPLICAS", "-1", "OLF_STANDBY_REPLICAS must be >= 0"),
        ("OLF_BROKER_SESSION_TIMEOUT", "2", "OLF_BROKER_SESSION_TIMEOUT must be >= 6 seconds"),
        ("OLF_LOG_FORMAT", "xml", "OLF_LOG_FORMAT must be one of: text, json"),
        ("OLF_CORS_ORIGINS", "https://a.example/app", "OLF_CORS_ORIGINS: 'https://a.example/app'"),
        ("OLF_CORS_ORIGINS", "*.example.com", "OLF_CORS_ORIGINS: '\\*.example.com' is neither"),
        ("OLF_STOP_TIMEOUT", "0", "OLF_STOP_TIMEOUT must be"),
        ("OLF_STATISTICS_TOPIC", "", "OLF_STATISTICS_TOPIC='' is not valid"),
        (
            "OLF_STATISTICS_TOPIC",
            "customer-events",
            "OLF_STATISTICS_TOPIC must differ from OLF_CUSTOMER_EVENTS_TOPIC",
        ),
        ("OLF_STOP_TIMEOUT", "nan", "OLF_STOP_TIMEOUT must be"),
        ("OLF_STREAM_MAX_CLIENTS", "0", "OLF_STREAM_MAX_CLIENTS must be"),
        ("OLF_STREAM_WRITE_TIMEOUT", "inf", "OLF_STREAM_WRITE_TIMEOUT must be"),
        ("OLF_CHECKPOINT_INTERVAL", "inf", "OLF_CHECKPOINT_INTERVAL must be > 0 seconds"),
        ("OLF_BROKER_URL", "kafka://k1:port", "OLF_BROKER_URL='kafka://k1:port' is not valid"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})


def test_min_insync_replicas_may_not_exceed_the_replicas() -> None:
    with pytest.raises(SettingsError, match=r"OLF_TOPIC_MIN_INSYNC_REPLICAS must be from 1 to"):
        Settings.from_env({"OLF_TOPIC_MIN_INSYNC_REPLICAS": "2"})
    settings = Settings.from_env(
        {"OLF_TOPIC_REPLICATION_FACTOR": "3", "OLF_TOPIC_MIN_INSYNC_REPLICAS": "2"}
    )
    assert (settings.topic_replication_factor, settings.topic_min_insync_replicas) == (3, 2)


@pytest.mark.parametrize("bind", ["0.0.0.0", "::", "10.0.0.7", "olf-1"])
def test_a_worker_beyond_loopback_needs_the_internal_token(bind: str) -> None:
    with pytest.raises(SettingsError, match="set OLF_INTERNAL_TOKEN"):
        Settings.from_env({"OLF_WEB_BIND": bind})
    Settings.from_env({"OLF_WEB_BIND": bind, "OLF_INTERNAL_TOKEN": "5ecret"})


@pytest.mark.parametrize("bind", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_a_worker_on_loopback_may_go_without_it(bind: str) -> None:
    assert Settings.from_env({"OLF_WEB_BIND": bind}).internal_token == ""


def test_the_internal_token_is_never_shown() -> None:
    assert "5ecret" not in repr(Settings(internal_token="5ecret"))


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.web_port = 1  # type: ignore[misc]


def test_faust_and_olf_s_own_clients_reach_the_same_servers(
    olf_factory: Callable[..., Olf],
) -> None:
    app = olf_factory(broker_url="kafka://k1:9093, k2").app
    assert isinstance(app, OlfApp)
    assert app.servers == ("k1:9093", "k2:9092")  # checkpoints, dead letters, topic creation
    assert [str(url) for url in app.conf.broker] == ["kafka://k1:9093", "kafka://k2:9092"]
