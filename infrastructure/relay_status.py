"""The body of a service's ``GET /status``: its outbox's backlog and its relay's state.

``{"outbox": {"pending", "oldest_pending_at", "events"}, "relay": {"running",
"connected", "published", "pruned", "failures", "last_error"}}``; ``events``
counts the rows the outbox holds, pending and not yet pruned. The same in
both services, so one dashboard or check reads either.
"""

from __future__ import annotations

from typing import Any

from infrastructure.outbox import OutboxStatus
from infrastructure.outbox_relay import RelayState
from infrastructure.timestamps import rfc3339


def status_json(backlog: OutboxStatus, relay: RelayState) -> dict[str, Any]:
    """The ``GET /status`` answer from the outbox's status and the relay's state."""
    oldest = backlog.oldest_pending_at
    return {
        "outbox": {
            "pending": backlog.pending,
            "oldest_pending_at": rfc3339(oldest) if oldest else None,
            "events": backlog.events,
        },
        "relay": {
            "running": relay.running,
            "connected": relay.connected,
            "published": relay.published,
            "pruned": relay.pruned,
            "failures": relay.failures,
            "last_error": relay.last_error,
        },
    }
