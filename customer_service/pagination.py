"""Opaque cursors for keyset pagination of the customer list.

A cursor names the last customer id of a page; the next page starts after
it. Unlike an offset it stays correct while customers are added or deleted
between requests: no customer is skipped or shown twice because of them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

_PREFIX: Final = b"after:"


def encode_cursor(last_customer_id: str) -> str:
    """The cursor for the page after ``last_customer_id``."""
    raw = _PREFIX + last_customer_id.encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The customer id a cursor continues after.

    Raises:
        ValueError: ``cursor`` was not made by :func:`encode_cursor`.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        text = raw.removeprefix(_PREFIX).decode("utf-8") if raw.startswith(_PREFIX) else ""
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text:
        raise ValueError("is not a cursor this service returned")
    return text
