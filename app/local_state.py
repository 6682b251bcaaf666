"""Trust a worker's local table state (RocksDB) only after a clean shutdown.

Faust writes a table row to the local store at once and to its changelog a
little later. After a crash (``kill -9``, out of memory, power loss) the
local store may hold rows the changelog never got, and recovery then mixes
newer local rows with older changelog rows: a state that never existed. The
changelog alone is always a prefix of what happened (see
:mod:`tables.statistics`), so after an unclean stop the worker discards its
local tables and restores them from the changelog; after a clean stop it
keeps them and only reads what is new.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

#: Written once a worker has stopped cleanly; removed when it starts.
CLEAN_SHUTDOWN_MARKER: Final = "clean-shutdown"


def discard_unless_clean(appdir: Path, tabledir: Path) -> bool:
    """Delete ``tabledir`` unless the last run of this worker stopped cleanly.

    Call before any table is opened. Returns True when local state was discarded.
    """
    marker = appdir / CLEAN_SHUTDOWN_MARKER
    if marker.exists():
        marker.unlink()
        return False
    if not tabledir.exists():
        return False
    log.warning(
        "The last run of this worker did not stop cleanly: discarding local table "
        "state in %s; tables are restored from their changelogs.",
        tabledir,
    )
    shutil.rmtree(tabledir)
    return True


def mark_clean_shutdown(appdir: Path) -> None:
    """Record that this worker stopped cleanly (its tables match their changelogs)."""
    appdir.mkdir(parents=True, exist_ok=True)
    (appdir / CLEAN_SHUTDOWN_MARKER).touch()
