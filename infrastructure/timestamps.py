"""RFC 3339 timestamps as both services write them: UTC, with a ``Z``, fixed width.

A fixed number of digits for the fraction of a second (none, or always six)
makes timestamps of one kind sort as text in the same order as in time.
"""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC as ``2026-11-26T10:15:00.123456Z``: always microseconds.

    ``moment`` must be timezone-aware; a naive one would be read as local time.
    """
    return _utc_text(moment, "microseconds")


def rfc3339_seconds(epoch_seconds: float) -> str:
    """``epoch_seconds`` (Unix time) in UTC as ``2026-11-26T10:15:00Z``: the fraction dropped."""
    return _utc_text(datetime.fromtimestamp(int(epoch_seconds), tz=UTC), "seconds")


def _utc_text(moment: datetime, timespec: str) -> str:
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
