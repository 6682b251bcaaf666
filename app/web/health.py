"""``GET /api/health`` and ``GET /api/ready``: for orchestrators and load balancers.

Health (liveness) says the process serves HTTP: restart it when this fails.
Ready says the worker has joined its consumer group and recovered its tables
and is not rebalancing: send it traffic only then. A worker that is not ready
still answers queries, with ``as_of.complete`` false, but an orchestrator
should prefer one that is.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

import faust
from faust.web import Request, Response, View

from app.queries.cluster import Cluster
from app.queries.merged_view import MergedView
from infrastructure.json_errors import error_body

HEALTH_PATH: Final = "/api/health"
READY_PATH: Final = "/api/ready"


def not_ready_reason(app: faust.App, cluster: Cluster, view: MergedView) -> str | None:
    """Why the worker is not ready, or None when it is.

    Ready: it has joined the group and recovered its tables, no rebalance or
    recovery is going on, and the group's assignment covers every partition
    of the input topic (a worker may own none of them when the group has more
    workers than partitions, but some worker must own each), and its merged
    view has covered every partition since (so its answers are complete).
    """
    recovery = app.tables.recovery  # type: ignore[attr-defined]  # TableManager's, untyped
    if not recovery.completed.is_set():
        return "not yet assigned partitions and recovered its tables"
    if app.rebalancing:
        return "rebalancing"
    if app.in_recovery:
        return "recovering its tables"
    assigned = {
        partition
        for topics in app.router.external_topics_metadata().values()
        for partition in topics.get(cluster.topic, ())
    }
    if len(assigned) < cluster.partition_count:
        return (
            f"the group's assignment covers {len(assigned)} of {cluster.partition_count}"
            f" partitions of {cluster.topic}"
        )
    if not view.complete_since_rebalance:
        return "waiting for the other workers' reports"
    return None


def declare_health(app: faust.App, cluster: Cluster, view: MergedView) -> None:
    """Register the health and readiness views."""

    @app.page(HEALTH_PATH)
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page(READY_PATH)
    class Ready(View):
        async def get(self, request: Request) -> Response:
            reason = not_ready_reason(app, cluster, view)
            if reason is not None:
                status = HTTPStatus.SERVICE_UNAVAILABLE
                return self.json(error_body(status, f"not ready: {reason}"), status=status)
            return self.json({"status": "ready", "partitions": cluster.owned_partitions()})
