"""Faust web views: OLF's JSON API. Views only read; agents write.

Public:
    GET /api/stats/summary
    GET /api/stats/customers?by=country|segment|status
    GET /api/stats/timeseries?metric=signups|updates|deletions&window=1m|1h
    GET /api/customers/{customer_id}

Internal (worker to worker, see app.queries.cluster):
    GET /api/internal/report[?metric=&window=[&windows=]]
    GET /api/internal/reports?metrics=signups,updates&window=[&windows=]
    GET /api/internal/customers/{customer_id}

Only workers may call the internal paths (``OLF_INTERNAL_TOKEN``, see
app.web.internal_auth); a deployment exposes ``/api/stats/``, ``/api/customers/``,
``/api/stream`` and the dashboard, never ``/api/internal/``.

Errors are JSON: ``{"status": 400, "error": "Bad Request", "message": "..."}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import faust
from faust.web import Request, Response, View

from app.queries.cluster import CUSTOMER_PATH, REPORT_PATH, REPORTS_PATH, Cluster, reports_to_json
from app.queries.reports import WINDOW_SIZES, Series
from models.customer_event import MAX_CUSTOMER_ID_LENGTH
from models.event_window import METRICS
from models.partition_stats import DIMENSIONS


class BadRequest(ValueError):
    """A query parameter is missing or has a value the API does not know."""


def error_body(status: HTTPStatus, message: str) -> dict[str, Any]:
    """The JSON body of every OLF error response."""
    return {"status": status.value, "error": status.phrase, "message": message}


def choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """The value of query parameter ``name``, which must be one of ``allowed``."""
    value = query.get(name)
    if value not in allowed:
        shown = "missing" if value is None else f"{value!r}"
        raise BadRequest(f"'{name}' must be one of: {', '.join(allowed)} (got {shown})")
    return value


def optional_count(query: Mapping[str, str], name: str) -> int | None:
    """Optional query parameter ``name``: an integer from 1 to 999999999, or None if absent."""
    value = query.get(name)
    if value is None:
        return None
    # isascii: str.isdigit also accepts digits such as '²' that int() rejects.
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or int(value) < 1:
        raise BadRequest(f"'{name}' must be an integer from 1 to 999999999 (got {value!r})")
    return int(value)


def metric_list(query: Mapping[str, str], name: str) -> list[str]:
    """Query parameter ``name``: distinct metrics, comma-separated, at least one.

    Distinct, so that one request costs at most one report per metric: each
    is built on the loop that also drives the agent.
    """
    value = query.get(name)
    metrics = (value or "").split(",")
    if not all(metric in METRICS for metric in metrics):
        # Not echoed: the value may be long, and the known metrics say enough.
        shown = "missing" if value is None else f"{len(metrics)} items"
        raise BadRequest(f"'{name}' must list metrics of: {', '.join(METRICS)} (got {shown})")
    if len(set(metrics)) < len(metrics):
        raise BadRequest(f"'{name}' must list each metric once")
    return metrics


def declare_views(app: faust.App, cluster: Cluster) -> None:
    """Register OLF's web views on ``app``."""

    class OlfView(View):
        """A view whose :class:`BadRequest` becomes a JSON 400."""

        def bad_request(self, problem: BadRequest) -> Response:
            status = HTTPStatus.BAD_REQUEST
            return self.json(error_body(status, str(problem)), status=status)

        def not_found(self, message: str) -> Response:
            status = HTTPStatus.NOT_FOUND
            return self.json(error_body(status, message), status=status)

    @app.page("/api/stats/summary")
    class Summary(OlfView):
        async def get(self, request: Request) -> Response:
            view = await cluster.view()
            return self.json({**view.summary(), "as_of": view.as_of()})

    @app.page("/api/stats/customers")
    class CustomerCounts(OlfView):
        async def get(self, request: Request) -> Response:
            try:
                dimension = choice(request.query, "by", DIMENSIONS)
            except BadRequest as problem:
                return self.bad_request(problem)
            view = await cluster.view()
            return self.json(
                {
                    "by": dimension,
                    "counts": view.counts(dimension),
                    "total": view.total("total"),
                    "as_of": view.as_of(),
                }
            )

    @app.page("/api/stats/timeseries")
    class TimeSeries(OlfView):
        async def get(self, request: Request) -> Response:
            try:
                series = Series(
                    metric=choice(request.query, "metric", METRICS),
                    window=choice(request.query, "window", tuple(WINDOW_SIZES)),
                )
            except BadRequest as problem:
                return self.bad_request(problem)
            view = await cluster.view(series)
            return self.json(
                {
                    "metric": series.metric,
                    "window": series.window,
                    "points": view.points(series),
                    "as_of": view.as_of(),
                }
            )

    @app.page("/api/customers/{customer_id}")
    class Customer(OlfView):
        async def get(self, request: Request, customer_id: str) -> Response:
            # No event has a longer id: no need to ask the other workers.
            too_long = len(customer_id) > MAX_CUSTOMER_ID_LENGTH
            state = None if too_long else await cluster.customer(customer_id)
            if state is None or state.profile is None:
                return self.not_found(f"no customer {customer_id!r}")
            return self.json(
                {
                    "customer_id": customer_id,
                    "version": state.version,
                    "customer": {
                        "country": state.country,
                        "segment": state.segment,
                        "status": state.status,
                    },
                }
            )

    @app.page(REPORT_PATH)
    class InternalReport(OlfView):
        async def get(self, request: Request) -> Response:
            series = None
            # All three parameters or none: a window without a metric is a mistake too.
            if request.query.keys() & {"metric", "window", "windows"}:
                try:
                    series = Series(
                        metric=choice(request.query, "metric", METRICS),
                        window=choice(request.query, "window", tuple(WINDOW_SIZES)),
                        windows=optional_count(request.query, "windows"),
                    )
                except BadRequest as problem:
                    return self.bad_request(problem)
            reports = await cluster.local_reports(series)
            return self.json({"partitions": reports_to_json(reports)})

    @app.page(REPORTS_PATH)
    class InternalReports(OlfView):
        async def get(self, request: Request) -> Response:
            try:
                window = choice(request.query, "window", tuple(WINDOW_SIZES))
                windows = optional_count(request.query, "windows")
                series = [
                    Series(metric, window, windows)
                    for metric in metric_list(request.query, "metrics")
                ]
            except BadRequest as problem:
                return self.bad_request(problem)
            reports = await cluster.local_reports_of(series)
            return self.json({"series": [{"partitions": reports_to_json(r)} for r in reports]})

    @app.page(CUSTOMER_PATH + "{customer_id}")
    class InternalCustomer(OlfView):
        async def get(self, request: Request, customer_id: str) -> Response:
            state = cluster.statistics.customer(customer_id)
            if state is None:
                return self.not_found(f"no customer {customer_id!r} on this worker")
            return self.json({"state": state.to_json()})
