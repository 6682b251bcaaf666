"""docker-compose.yml and the Dockerfile describe the same system as the settings.

There is no Docker engine here, so the image's build is checked the way it
fails in practice: its ``COPY`` lines must bring every package that
``pyproject.toml`` installs (:func:`test_the_image_installs_from_its_copy_lines`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.settings import Settings, SettingsError, env_var_name
from customer_service import settings as service_settings
from orders_service import settings as orders_settings

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = {env_var_name(field.name) for field in fields(Settings)}
SERVICE_SETTING_NAMES = {
    service_settings.env_var_name(field.name) for field in fields(service_settings.Settings)
}
ORDERS_SETTING_NAMES = {
    orders_settings.env_var_name(field.name) for field in fields(orders_settings.Settings)
}
#: ``${NAME:?message}``: compose refuses to start while NAME is unset.
REQUIRED_VARIABLE = re.compile(r"\$\{([A-Z_]+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def service_env(compose: dict[str, Any], service: str) -> dict[str, str]:
    """A service's environment, each required variable given a stand-in secret."""
    environment = compose["services"][service]["environment"]
    return {
        name: REQUIRED_VARIABLE.sub("stand-in-secret", str(value))
        for name, value in environment.items()
    }


def olf_env(compose: dict[str, Any]) -> dict[str, str]:
    return service_env(compose, "olf")


def dockerfile_env() -> dict[str, str]:
    """The ``ENV`` of the Dockerfile (one instruction, continued lines)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    pairs = re.findall(r"^ENV (.+)$", text, re.MULTILINE)
    return dict(pair.split("=", 1) for line in pairs for pair in line.split())


def copied_paths() -> list[str]:
    """What the Dockerfile's ``COPY`` lines bring into the image, as paths of this repository."""
    paths: list[str] = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, _destination = line.split()[1:]
            paths += sources
    return paths


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


def build_from(paths: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Copy ``paths`` into a folder as the image's COPY lines do and build it as ``pip install .``.

    Without build isolation (no network): the venv's setuptools builds the wheel.
    Returns pip's result and the folder the wheel goes to.
    """
    context = tmp_path / "srv-olf"
    context.mkdir()
    for path in paths:
        source = ROOT / path
        if source.is_dir():
            shutil.copytree(source, context / path, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / path)
    wheels = tmp_path / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*command, "--quiet", "--wheel-dir", str(wheels), str(context)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return built, wheels


def pyproject_packages() -> set[str]:
    """The top-level packages ``pyproject.toml`` installs (sub-packages are found under them)."""
    document = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns: list[str] = document["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.removesuffix("*") for pattern in patterns}


def package_modules() -> set[str]:
    """Every module of those packages in this repository, as a path inside the wheel."""
    return {
        path.relative_to(ROOT).as_posix()
        for package in pyproject_packages()
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }


def image_files(paths: list[str], tmp_path: Path) -> list[str]:
    """The files the image installs when its COPY lines copy ``paths``."""
    built, wheels = build_from(paths, tmp_path)
    assert built.returncode == 0, f"the image's `pip install .` would fail:\n{built.stderr}"
    (wheel,) = wheels.glob("olf-*.whl")
    return zipfile.ZipFile(wheel).namelist()


def test_the_image_installs_from_its_copy_lines(tmp_path: Path) -> None:
    installed = image_files(copied_paths(), tmp_path)
    # Every module, sub-packages' too: the image once lacked app/workarounds/.
    missing = package_modules() - set(installed)
    assert not missing, f"missing from the image: {sorted(missing)}"
    assert "app/web/static/index.html" in installed, "the dashboard's files must be installed"


def test_a_package_left_out_of_the_copy_lines_is_caught(tmp_path: Path) -> None:
    # The check above against what it guards: the Dockerfile before it copied
    # customer_service (setuptools then builds without it, or fails).
    paths = [path for path in copied_paths() if path != "customer_service"]
    built, wheels = build_from(paths, tmp_path)
    installed = {
        name for wheel in wheels.glob("olf-*.whl") for name in zipfile.ZipFile(wheel).namelist()
    }
    missing = package_modules() - installed
    assert built.returncode != 0 or "customer_service/__main__.py" in missing


def test_the_worker_in_its_image_has_valid_settings(compose: dict[str, Any]) -> None:
    image_env = {**dockerfile_env(), **olf_env(compose)}
    assert image_env["OLF_WEB_BIND"] == "0.0.0.0"
    Settings.from_env(image_env)
    without_token = {k: v for k, v in image_env.items() if k != "OLF_INTERNAL_TOKEN"}
    with pytest.raises(SettingsError, match="OLF_INTERNAL_TOKEN"):
        Settings.from_env(without_token)


def test_secrets_are_required_from_the_environment_never_stored(compose: dict[str, Any]) -> None:
    secrets = {
        "olf": ["OLF_INTERNAL_TOKEN"],
        "customer-service": ["CUSTOMER_SERVICE_TOKEN"],
        "simulator": ["CUSTOMER_SERVICE_TOKEN"],
        "orders-service": ["ORDERS_SERVICE_TOKEN"],
        "order-simulator": ["ORDERS_SERVICE_TOKEN"],
    }
    for service, names in secrets.items():
        environment = compose["services"][service]["environment"]
        for name in names:
            match = REQUIRED_VARIABLE.fullmatch(str(environment[name]))
            assert match is not None, f"{service}: {name}={environment[name]}"
            assert match.group(1) == name


def test_customer_service_uses_only_known_settings(compose: dict[str, Any]) -> None:
    env = service_env(compose, "customer-service")
    unknown = set(env) - SERVICE_SETTING_NAMES
    assert not unknown, f"docker-compose.yml sets unknown service settings: {sorted(unknown)}"
    settings = service_settings.Settings.from_env(env)
    assert settings.topic == olf_env(compose)["OLF_CUSTOMER_EVENTS_TOPIC"]
    assert settings.broker_url == olf_env(compose)["OLF_BROKER_URL"]
    assert compose["services"]["customer-service"]["ports"] == [
        f"127.0.0.1:{settings.port}:{settings.port}"
    ]
    database = settings.database_url.split("///", 1)[1]
    (volume,) = compose["services"]["customer-service"]["volumes"]
    assert database.startswith(volume.split(":", 1)[1] + "/"), "the database must be on the volume"


def test_orders_service_uses_only_known_settings(compose: dict[str, Any]) -> None:
    env = service_env(compose, "orders-service")
    unknown = set(env) - ORDERS_SETTING_NAMES
    assert not unknown, f"docker-compose.yml sets unknown orders settings: {sorted(unknown)}"
    settings = orders_settings.Settings.from_env(env)
    assert settings.topic == "order-events" == Settings().order_events_topic
    assert settings.broker_url == olf_env(compose)["OLF_BROKER_URL"]
    customers = urlsplit(settings.customer_service_url)
    port = service_env(compose, "customer-service")["CUSTOMER_SERVICE_PORT"]
    assert (customers.hostname, str(customers.port)) == ("customer-service", port)
    assert compose["services"]["orders-service"]["ports"] == [
        f"127.0.0.1:{settings.port}:{settings.port}"
    ]
    database = settings.database_url.split("///", 1)[1]
    (volume,) = compose["services"]["orders-service"]["volumes"]
    assert database.startswith(volume.split(":", 1)[1] + "/"), "the database must be on the volume"


def test_the_simulator_drives_the_customer_service(compose: dict[str, Any]) -> None:
    simulator = compose["services"]["simulator"]
    assert simulator["profiles"] == ["simulator"]
    command = simulator["command"]
    assert command[:4] == ["python", "-m", "customer_service", "simulate"]
    url = urlsplit(command[command.index("--url") + 1])
    port = service_env(compose, "customer-service")["CUSTOMER_SERVICE_PORT"]
    assert (url.hostname, str(url.port)) == ("customer-service", port)
    images = {compose["services"][name]["image"] for name in ("olf", "customer-service")}
    assert images == {simulator["image"]}, "one image for the worker, the service and simulator"


def test_docker_waits_longer_than_the_worker_bounds_its_stop(compose: dict[str, Any]) -> None:
    grace = compose["services"]["olf"]["stop_grace_period"]
    assert grace.endswith("s")
    assert float(grace[:-1]) > Settings().stop_timeout
