"""A customer's fields and the rules a request must meet to set them.

The rules are those of the ``customer-events`` contract (ISO 3166-1 alpha-2
countries, the segment and status lists) plus what only the owner of the data
checks: the shape of an e-mail address and the length of a name. Every event
the service publishes carries a customer that passed these rules, so OLF never
has to reject one (``tests/customer_service/test_customer_event.py`` holds the
service to OLF's parser).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

import pycountry

SEGMENTS: Final = ("consumer", "smb", "enterprise")
STATUSES: Final = ("active", "inactive", "suspended")
COUNTRY_CODES: Final = frozenset(country.alpha_2 for country in pycountry.countries)
FIELDS: Final = ("name", "email", "country", "segment", "status")
#: Unicode categories a name may not contain: control, format, surrogate,
#: private use and unassigned characters (NUL, line breaks, bidirectional
#: overrides, zero-width joiners...), which would be stored and published as they are.
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
DEFAULT_STATUS: Final = "active"
MAX_NAME_LENGTH: Final = 200
MAX_EMAIL_LENGTH: Final = 254
# One "@", something on each side, a dot in the domain, no spaces: the shape,
# not deliverability, which only sending a message can prove.
_EMAIL_SHAPE: Final = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# Fields a client may read but never write.
_READ_ONLY: Final = ("customer_id", "version", "created_at", "updated_at")


class ValidationFailed(ValueError):
    """A request breaks the rules; ``errors`` maps each bad field to what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer as the service stores and returns it. ``deleted`` ones keep their version."""

    customer_id: str
    name: str
    email: str
    country: str
    segment: str
    status: str
    version: int
    deleted: bool
    created_at: datetime
    updated_at: datetime

    def attributes(self) -> dict[str, str]:
        """The writable fields, as in the event's ``customer`` object."""
        return {field: getattr(self, field) for field in FIELDS}

    def with_attributes(self, changes: Mapping[str, str]) -> Customer:
        """A copy with some writable fields replaced; nothing else changes."""
        merged = self.attributes() | dict(changes)
        return replace(
            self,
            name=merged["name"],
            email=merged["email"],
            country=merged["country"],
            segment=merged["segment"],
            status=merged["status"],
        )


def validate_new_customer(body: object) -> dict[str, str]:
    """The fields of a customer to create; ``status`` defaults to active.

    Raises:
        ValidationFailed: naming every missing, unknown or invalid field.
    """
    document = _object(body)
    errors = _unknown_fields(document)
    values: dict[str, str] = {}
    for field in FIELDS:
        if field not in document:
            if field == "status":
                values[field] = DEFAULT_STATUS
            else:
                errors[field] = "is required"
            continue
        _check_field(field, document[field], values, errors)
    if errors:
        raise ValidationFailed(dict(sorted(errors.items())))
    return values


def validate_changes(body: object) -> dict[str, str]:
    """The fields a PATCH sets (at least one).

    Raises:
        ValidationFailed: naming every unknown or invalid field, or the body when it sets none.
    """
    document = _object(body)
    errors = _unknown_fields(document)
    values: dict[str, str] = {}
    for field in FIELDS:
        if field in document:
            _check_field(field, document[field], values, errors)
    if not document:
        errors["body"] = f"must set at least one of: {', '.join(FIELDS)}"
    if errors:
        raise ValidationFailed(dict(sorted(errors.items())))
    return values


def check_filter(field: str, value: str) -> str | None:
    """What is wrong with ``value`` as a list filter on ``field``; None when it is valid."""
    return _problem(field, value)


def _object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    return body


def _unknown_fields(document: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field in document:
        if field in _READ_ONLY:
            errors[field] = "is set by the service and cannot be written"
        elif field not in FIELDS:
            errors[field] = f"is not a customer field (fields: {', '.join(FIELDS)})"
    return errors


def _check_field(field: str, raw: object, values: dict[str, str], errors: dict[str, str]) -> None:
    if not isinstance(raw, str):
        errors[field] = "must be a string"
        return
    value = raw.strip() if field in ("name", "email") else raw
    problem = _problem(field, value)
    if problem is None:
        values[field] = value
    else:
        errors[field] = problem


def _problem(field: str, value: str) -> str | None:
    if field == "name":
        if not 1 <= len(value) <= MAX_NAME_LENGTH:
            return f"must be 1-{MAX_NAME_LENGTH} characters"
        if any(unicodedata.category(char) in _INVISIBLE for char in value):
            return (
                "must not contain control or format characters"
                " (such as NUL, line breaks or bidirectional overrides)"
            )
    elif field == "email":
        if len(value) > MAX_EMAIL_LENGTH:
            return f"must be at most {MAX_EMAIL_LENGTH} characters"
        if not _EMAIL_SHAPE.fullmatch(value):
            return "must look like name@example.com"
    elif field == "country":
        if value not in COUNTRY_CODES:
            return "must be an ISO 3166-1 alpha-2 code in capitals, such as NL"
    elif field == "segment":
        if value not in SEGMENTS:
            return f"must be one of: {', '.join(SEGMENTS)}"
    elif field == "status" and value not in STATUSES:
        return f"must be one of: {', '.join(STATUSES)}"
    return None
