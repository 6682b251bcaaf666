"""Exact money: decimal strings in, integers of ten-thousandths inside, decimal strings out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.money import InvalidAmount, format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "units", "shown"),
    [
        ("12.50", 125_000, "12.50"),
        ("12.5", 125_000, "12.50"),
        ("1", 10_000, "1.00"),
        ("0.0001", 1, "0.0001"),
        ("99.999", 999_990, "99.999"),
        ("999999999999.9999", 9_999_999_999_999_999, "999999999999.9999"),
    ],
)
def test_amounts_round_trip_exactly(text: str, units: int, shown: str) -> None:
    assert parse_amount(text) == units
    assert format_amount(units) == shown
    assert Decimal(format_amount(units)) == Decimal(text)


def test_sums_that_no_float_holds_stay_exact() -> None:
    # 0.1 + 0.2 != 0.3 in binary floating point; ten million 0.0001 are exactly 1000.
    assert format_amount(parse_amount("0.1") + parse_amount("0.2")) == "0.30"
    assert format_amount(parse_amount("0.0001") * 10_000_000) == "1000.00"
    assert format_amount(-parse_amount("12.50")) == "-12.50"
    assert format_amount(0) == "0.00"


@pytest.mark.parametrize(
    "text",
    ["", "0", "0.00", "-1", "+1", "1e3", ".5", "1.", "1.23456", "1000000000000", " 1", "NaN",
     "1,50", "\u0661"],
)  # fmt: skip
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(text)
