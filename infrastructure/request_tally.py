"""What a traffic simulator sent: requests per action, the failures among them, the first errors.

Both services' simulators (``customer_service/simulator.py``,
``orders_service/simulator.py``) count their requests this way and print it
as a table when they end (:func:`tally_rows`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

#: How many failures a tally keeps the text of.
FIRST_ERRORS: Final = 5


@dataclass
class Tally:
    """Requests per action, and the failures among them."""

    done: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)

    def record(self, action: str, error: str | None) -> None:
        self.done[action] += 1
        if error is not None:
            self.failed[action] += 1
            if len(self.first_errors) < FIRST_ERRORS:
                self.first_errors.append(f"{action}: {error}")


def tally_rows(tally: Tally) -> list[list[object]]:
    """Rows ``[action, sent, failed]`` by action, then ``all``: for ``format_table``."""
    rows: list[list[object]] = [
        [action, tally.done[action], tally.failed[action]] for action in sorted(tally.done)
    ]
    rows.append(["all", sum(tally.done.values()), sum(tally.failed.values())])
    return rows
