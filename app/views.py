"""Faust web views serving OLF's statistics as JSON. Views only read tables."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import faust
from faust.web import Request, Response, View

from models.partition_stats import DIMENSIONS, PartitionStats, merge_counts
from tables.customer_tables import CustomerTables

BAD_DIMENSION = f"'by' must be one of: {', '.join(DIMENSIONS)}"


def error_body(status: HTTPStatus, message: str) -> dict[str, Any]:
    """The JSON body of every OLF error response."""
    return {"status": status.value, "error": status.phrase, "message": message}


def declare_views(app: faust.App, tables: CustomerTables) -> None:
    """Register OLF's web views on ``app``."""

    @app.page("/api/stats/customers")
    class CustomerCounts(View):
        """``GET /api/stats/customers?by=country|segment|status``."""

        async def get(self, request: Request) -> Response:
            dimension = request.query.get("by", "")
            if dimension not in DIMENSIONS:
                status = HTTPStatus.BAD_REQUEST
                return self.json(error_body(status, BAD_DIMENSION), status=status)
            partials = [stats.counts(dimension) for stats in local_partition_stats(tables)]
            return self.json({"by": dimension, "counts": merge_counts(partials)})


def local_partition_stats(tables: CustomerTables) -> list[PartitionStats]:
    """Stats rows of every partition this worker holds."""
    return list(tables.partition_stats.values())
