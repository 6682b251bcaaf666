"""JSON logs: one object per line, with the level and logger the text format shows."""

from __future__ import annotations

import logging
import logging.config

import orjson

from app.log_format import logging_config


def test_text_keeps_fausts_default() -> None:
    assert logging_config("text") is None


def test_json_lines_carry_message_level_and_logger() -> None:
    config = logging_config("json")
    assert config is not None
    formatter = logging.config.DictConfigurator({}).configure_formatter(
        dict(config["formatters"]["default"])
    )
    record = logging.LogRecord(
        "agents.customer_events", logging.WARNING, "f", 1, "Rejected %s", ("x",), None
    )
    line = orjson.loads(formatter.format(record))
    assert line["message"] == "Rejected x"
    assert line["levelname"] == "WARNING"
    assert line["name"] == "agents.customer_events"
