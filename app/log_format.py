"""Log output format: Faust's coloured text, or one JSON object per line."""

from __future__ import annotations

from typing import Any

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"


def logging_config(log_format: str) -> dict[str, Any] | None:
    """A ``logging.config`` dict for the worker, or None for Faust's default text.

    Merged into Faust's own configuration, so the level and destination
    chosen on the ``faust worker`` command line still apply.
    """
    if log_format == "text":
        return None
    json_formatter = {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS}
    return {
        "merge": True,
        # Faust's handlers refer to these two formatter names.
        "formatters": {"default": json_formatter, "colored": json_formatter},
    }
