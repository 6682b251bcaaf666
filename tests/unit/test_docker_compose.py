"""docker-compose.yml and the Dockerfile describe the same system as the settings."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.settings import Settings, env_var_name

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = {env_var_name(field.name) for field in fields(Settings)}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def olf_env(compose: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in compose["services"]["olf"]["environment"].items()}


def test_olf_service_uses_only_known_settings(compose: dict[str, Any]) -> None:
    unknown = set(olf_env(compose)) - SETTING_NAMES
    assert not unknown, f"docker-compose.yml sets unknown OLF settings: {sorted(unknown)}"
    Settings.from_env(olf_env(compose))  # every value must also parse


def test_dockerfile_env_names_are_settings() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    names = set(re.findall(r"\b(OLF_[A-Z_]+)=", dockerfile))
    assert names, "the Dockerfile is expected to set OLF_WEB_BIND and OLF_DATA_DIR"
    assert names <= SETTING_NAMES, f"unknown: {sorted(names - SETTING_NAMES)}"


def test_broker_url_points_at_the_kafka_service_listener(compose: dict[str, Any]) -> None:
    broker = urlsplit(olf_env(compose)["OLF_BROKER_URL"])
    kafka = compose["services"]["kafka"]
    assert broker.hostname in compose["services"]
    assert kafka["image"].startswith("apache/kafka:")
    advertised = kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"PLAINTEXT://{broker.hostname}:{broker.port}" in advertised.split(",")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_web_port_is_published_on_loopback_only(compose: dict[str, Any]) -> None:
    web_port = olf_env(compose)["OLF_WEB_PORT"]
    assert compose["services"]["olf"]["ports"] == [f"127.0.0.1:{web_port}:{web_port}"]
    assert web_port == str(Settings().web_port)


def test_kafka_image_matches_the_local_broker_version(compose: dict[str, Any]) -> None:
    pom = (ROOT / "dev" / "kafka" / "pom.xml").read_text()
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert match, "dev/kafka/pom.xml must declare <kafka.version>"
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{match.group(1)}"
