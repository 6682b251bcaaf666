"""JSON encoding of stored rows, in bytes objects no bigger than their content.

orjson 3.12 and later (3.13 here) returns ``dumps`` output in a buffer
over-allocated to at least 4 KiB, and never shrinks it: ``sys.getsizeof``
shows the content's size, but the allocation stays. A row of 25 bytes kept in
memory then costs 4 KiB, so the rows of a checkpoint of 75,000 changes took
300 MiB, and an in-memory store of a million customers 4 GiB.
:func:`dump_row` copies the output into a right-sized object;
``tests/unit/test_json_rows.py`` shows orjson's behaviour beside it.
"""

from __future__ import annotations

from typing import Any

import orjson


def dump_row(value: Any, option: int | None = None) -> bytes:
    """``value`` as compact JSON, in a bytes object sized to its content."""
    return bytes(memoryview(orjson.dumps(value, option=option)))
