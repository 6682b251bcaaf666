"""Plain-text tables: aligned columns, numbers to the right."""

from __future__ import annotations

from infrastructure.text_table import format_table


def test_columns_are_aligned_and_numbers_right_aligned() -> None:
    table = format_table(["dimension", "value", "n"], [["country", "NL", 5], ["total", "-", 120]])

    assert table.splitlines() == [
        "dimension  value    n",
        "---------  -----  ---",
        "country    NL       5",
        "total      -      120",
    ]


def test_a_table_without_rows_is_its_header() -> None:
    assert format_table(["a", "bb"], []).splitlines() == ["a  bb", "-  --"]
