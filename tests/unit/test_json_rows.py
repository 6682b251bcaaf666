"""Stored rows take the memory of their content, not orjson's buffer (see models.json_rows)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import orjson

from models.json_rows import dump_row

ROW = [3, "NL", "smb", "active"]
ROWS = 1000


def bytes_held(encode: Callable[[object], bytes]) -> float:
    """Average memory each kept encoding of ROW holds."""
    tracemalloc.start()
    try:
        kept = [encode(ROW) for _ in range(ROWS)]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(kept) == ROWS
    return held / ROWS


def test_orjson_keeps_a_large_buffer_behind_each_small_output() -> None:
    assert len(orjson.dumps(ROW)) == 23
    assert bytes_held(orjson.dumps) > 1000, (
        "if this fails, orjson sizes its output again: models.json_rows may go"
    )


def test_olf_rows_hold_little_more_than_their_content() -> None:
    assert dump_row(ROW) == orjson.dumps(ROW)
    assert bytes_held(dump_row) < 100
