"""An order's fields and the rules a request must meet to place one.

The rules are those of the ``order-events`` contract (docs/event-contract.md):
``amount`` a decimal > 0 with at most 12 integer and 4 fraction digits,
``currency`` an ISO 4217 alphabetic code, ``customer_id`` 1-64 characters.
Amounts are ``Decimal`` from the request to the event, never a float: a
request gives them as a string (``"12.50"``) or as a JSON number, which the
API reads as its exact decimal text (:func:`infrastructure.json_bodies.read_json_with_decimals`).
The amount is kept as its canonical text (:func:`amount_text`): stored,
returned and published as that string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final

import pycountry

PLACED: Final = "placed"
CANCELLED: Final = "cancelled"
CURRENCY_CODES: Final = frozenset(currency.alpha_3 for currency in pycountry.currencies)
MAX_ID_LENGTH: Final = 64
MAX_INTEGER_DIGITS: Final = 12
MAX_FRACTION_DIGITS: Final = 4
FIELDS: Final = ("customer_id", "amount", "currency")
#: Digits, an optional fraction: no sign, exponent, blanks or ``NaN``.
_AMOUNT_TEXT: Final = re.compile(r"[0-9]+(\.[0-9]+)?")
AMOUNT_RULE: Final = (
    f"must be a decimal > 0 with at most {MAX_INTEGER_DIGITS} integer and"
    f' {MAX_FRACTION_DIGITS} fraction digits, as a string such as "12.50" or a JSON number'
)
CURRENCY_RULE: Final = "must be an ISO 4217 alphabetic code in capitals, such as EUR"
CUSTOMER_ID_RULE: Final = f"must be a string of 1-{MAX_ID_LENGTH} characters"


class ValidationFailed(ValueError):
    """A request breaks the rules; ``errors`` maps each bad field to what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A validated request to place an order; ``amount`` is exact."""

    customer_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the service stores and returns it.

    ``version`` is 1 while placed and 2 once cancelled: the event's version.
    """

    order_id: str
    customer_id: str
    amount: Decimal
    currency: str
    status: str
    version: int
    placed_at: datetime
    updated_at: datetime


def amount_text(amount: Decimal) -> str:
    """The canonical text of an amount: plain digits, its own fraction digits (``12.50``)."""
    return format(amount, "f")


def parse_amount(value: object) -> Decimal:
    """The exact amount of a request's ``amount``.

    Accepts a string of digits with an optional fraction (``"12.50"``), an
    ``int``, or a ``Decimal`` (a JSON number read exactly); never a float
    or a bool.

    Raises:
        ValueError: not such a value, not > 0, or too many digits (:data:`AMOUNT_RULE`).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(AMOUNT_RULE)
    if isinstance(value, str) and not _AMOUNT_TEXT.fullmatch(value):
        raise ValueError(AMOUNT_RULE)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(AMOUNT_RULE) from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(AMOUNT_RULE)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    integer_digits = len(amount_text(amount).split(".")[0].lstrip("0"))
    if -exponent > MAX_FRACTION_DIGITS or integer_digits > MAX_INTEGER_DIGITS:
        raise ValueError(AMOUNT_RULE)
    # A JSON 1E+2 is stored, returned and published as "100".
    return Decimal(amount_text(amount))


def validate_new_order(body: object) -> NewOrder:
    """The order a ``POST /orders`` body asks for.

    Raises:
        ValidationFailed: naming every bad, missing or unknown field.
    """
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    for name in body:
        if name not in FIELDS:
            errors[name] = f"is not an order field (fields: {', '.join(FIELDS)})"
    for name in FIELDS:
        if name not in body:
            errors[name] = "is required"
    customer_id = body.get("customer_id")
    if "customer_id" in body and not (
        isinstance(customer_id, str) and 1 <= len(customer_id) <= MAX_ID_LENGTH
    ):
        errors["customer_id"] = CUSTOMER_ID_RULE
    amount = Decimal(0)
    if "amount" in body:
        try:
            amount = parse_amount(body["amount"])
        except ValueError as exc:
            errors["amount"] = str(exc)
    currency = body.get("currency")
    if "currency" in body and currency not in CURRENCY_CODES:
        errors["currency"] = CURRENCY_RULE
    if errors:
        raise ValidationFailed(dict(sorted(errors.items())))
    assert isinstance(customer_id, str)
    assert isinstance(currency, str)
    return NewOrder(customer_id=customer_id, amount=amount, currency=currency)
