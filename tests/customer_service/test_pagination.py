"""Cursors: opaque, and only those the service made are accepted."""

from __future__ import annotations

import pytest

from customer_service.pagination import decode_cursor, encode_cursor


@pytest.mark.parametrize("customer_id", ["cust-1", "a", "ü-ß/+=", "x" * 64])
def test_a_cursor_brings_back_the_customer_id(customer_id: str) -> None:
    cursor = encode_cursor(customer_id)

    assert decode_cursor(cursor) == customer_id
    assert not set("=/+") & set(cursor), "a cursor must fit in a URL as it is"


@pytest.mark.parametrize("cursor", ["", "!!!", "Y3VzdC0x", "YWZ0ZXI6", "YWZ0ZXI6_w"])
def test_other_strings_are_not_cursors(cursor: str) -> None:
    with pytest.raises(ValueError, match="is not a cursor this service returned"):
        decode_cursor(cursor)
