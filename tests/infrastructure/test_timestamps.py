"""RFC 3339 timestamps: UTC, ``Z``, fixed width, so that text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from infrastructure.timestamps import rfc3339, rfc3339_seconds

#: Aware moments in any offset, with or without a fraction of a second.
moments = st.datetimes(
    min_value=datetime(1000, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-7))]),
)


def test_a_moment_in_utc_with_microseconds_even_when_zero() -> None:
    brussels_summer = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2026, 6, 1, 12, 15, tzinfo=brussels_summer)) == (
        "2026-06-01T10:15:00.000000Z"
    )
    assert rfc3339(datetime(2026, 6, 1, 10, 15, 0, 123456, tzinfo=UTC)) == (
        "2026-06-01T10:15:00.123456Z"
    )


@given(moments, moments)
def test_text_order_is_time_order(first: datetime, second: datetime) -> None:
    assert (rfc3339(first) < rfc3339(second)) == (first < second)
    assert (rfc3339(first) == rfc3339(second)) == (first == second)


def test_epoch_seconds_to_the_second_with_the_fraction_dropped() -> None:
    assert rfc3339_seconds(0) == "1970-01-01T00:00:00Z"
    assert rfc3339_seconds(1_780_000_000.999) == "2026-05-28T20:26:40Z"


@given(st.integers(min_value=0, max_value=253_402_300_799), st.floats(min_value=0, max_value=0.999))
def test_epoch_seconds_as_olf_has_always_written_them(whole: int, fraction: float) -> None:
    # The format OLF's reports used before this module (strftime), as the oracle.
    expected = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert rfc3339_seconds(whole + fraction) == expected
