"""Local table state survives a clean stop and is discarded after a crash."""

from __future__ import annotations

from pathlib import Path

from app.local_state import discard_unless_clean, mark_clean_shutdown


def make_tables(appdir: Path) -> Path:
    tabledir = appdir / "tables"
    (tabledir / "statistics-0.db").mkdir(parents=True)
    (tabledir / "statistics-0.db" / "000001.sst").write_bytes(b"rows")
    return tabledir


def test_state_is_kept_after_a_clean_shutdown(tmp_path: Path) -> None:
    tabledir = make_tables(tmp_path)
    mark_clean_shutdown(tmp_path)
    assert discard_unless_clean(tmp_path, tabledir) is False
    assert (tabledir / "statistics-0.db" / "000001.sst").exists()


def test_a_start_consumes_the_marker_so_a_later_crash_is_noticed(tmp_path: Path) -> None:
    tabledir = make_tables(tmp_path)
    mark_clean_shutdown(tmp_path)
    discard_unless_clean(tmp_path, tabledir)  # this run starts...
    # ...and dies without a clean shutdown: the next start must not trust the tables.
    assert discard_unless_clean(tmp_path, tabledir) is True
    assert not tabledir.exists()


def test_first_start_has_nothing_to_discard(tmp_path: Path) -> None:
    assert discard_unless_clean(tmp_path, tmp_path / "tables") is False
