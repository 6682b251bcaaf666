"""Exact money: amounts as integers of ten-thousandths of a currency's unit.

Amounts arrive as decimal strings (``"12.50"``) and leave as decimal strings;
in between they are integers of :data:`UNITS_PER_ONE` per unit, so sums are
exact and no float ever holds money. Four fraction digits is the most any
ISO 4217 currency has (CLF, UYW), so every valid amount fits exactly.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

import pycountry

FRACTION_DIGITS: Final = 4
UNITS_PER_ONE: Final = 10**FRACTION_DIGITS
#: An amount: 1-12 integer digits, then optionally a point and 1-4 fraction digits.
_AMOUNT: Final = re.compile(rf"[0-9]{{1,12}}(\.[0-9]{{1,{FRACTION_DIGITS}}})?")
CURRENCY_CODES: Final = frozenset(currency.alpha_3 for currency in pycountry.currencies)
_CENTS: Final = Decimal("0.01")


class InvalidAmount(ValueError):
    """Text that is no amount OLF accepts; the message says why."""


def parse_amount(text: str) -> int:
    """The units of a decimal string above 0, like ``"12.50"``.

    Raises:
        InvalidAmount: not 1-12 digits, optionally a point and 1-4 digits; or zero.
    """
    if _AMOUNT.fullmatch(text) is None:
        raise InvalidAmount(
            f"must be a decimal string of 1-12 digits, optionally a point and 1-{FRACTION_DIGITS}"
            ' digits, like "12.50"'
        )
    units = int(Decimal(text).scaleb(FRACTION_DIGITS))
    if units == 0:
        raise InvalidAmount("must be above 0")
    return units


def format_amount(units: int) -> str:
    """``units`` as a decimal string: two fraction digits, more only where they are needed."""
    amount = Decimal(units).scaleb(-FRACTION_DIGITS)
    cents = amount.quantize(_CENTS)
    return f"{cents if cents == amount else amount.normalize():f}"
