"""Faust web views: OLF's JSON API. Views only read; agents write.

Public:
    GET /api/stats/summary
    GET /api/stats/customers?by=country|segment|status
    GET /api/stats/orders?by=country|segment
    GET /api/stats/timeseries?metric=signups|updates|deletions&window=1m|1h
    GET /api/stats/timeseries?metric=orders.<currency>|revenue.<currency>&window=1m|1h
    GET /api/customers/{customer_id}

Statistics are answered from this worker's merged view (app.queries.merged_view),
never by asking other workers on the request's time; each answer carries an
ETag, and ``If-None-Match`` with the current one is answered 304.

Internal (worker to worker, see app.queries.cluster):
    GET /api/internal/reports[?known=<partition>:<source>:<revision>,...]
    GET /api/internal/customers/{customer_id}

Only workers may call the internal paths (``OLF_INTERNAL_TOKEN``, see
app.web.internal_auth); a deployment exposes ``/api/stats/``, ``/api/customers/``,
``/api/stream`` and the dashboard, never ``/api/internal/``.

Errors are JSON: ``{"status": 400, "error": "Bad Request", "message": "..."}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

import faust
import orjson
from faust.web import Request, Response

from app.queries import answers
from app.queries.cluster import CUSTOMER_PATH, REPORTS_PATH, Cluster
from app.queries.merged_view import Answer, MergedView
from app.queries.partition_report import ReportUpdate
from app.workarounds.unsensed_views import UnsensedView
from infrastructure.json_errors import error_body
from models.customer_event import MAX_CUSTOMER_ID_LENGTH
from models.event_window import METRICS, ORDER_SERIES, WINDOW_SIZES
from models.partition_stats import DIMENSIONS, ORDER_DIMENSIONS

JSON: Final = "application/json"
#: Statistics may be stored by clients, but must be revalidated (ETag) before each use.
REVALIDATE: Final = "no-cache"


class BadRequest(ValueError):
    """A query parameter is missing or has a value the API does not know."""


def choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """The value of query parameter ``name``, which must be one of ``allowed``."""
    value = query.get(name)
    if value not in allowed:
        shown = "missing" if value is None else f"{value!r}"
        raise BadRequest(f"'{name}' must be one of: {', '.join(allowed)} (got {shown})")
    return value


def series_name(query: Mapping[str, str]) -> str:
    """The series a time series request names: a customer metric, or ``orders.<currency>``,
    ``revenue.<currency>`` (a currency without orders has an empty series)."""
    metric = query.get("metric")
    if metric in METRICS or (metric is not None and ORDER_SERIES.fullmatch(metric)):
        return metric
    shown = "missing" if metric is None else f"{metric!r}"
    raise BadRequest(
        f"'metric' must be one of: {', '.join(METRICS)}, or orders.<currency> or"
        f" revenue.<currency> with an ISO 4217 code such as EUR (got {shown})"
    )


def optional_count(query: Mapping[str, str], name: str) -> int | None:
    """Optional query parameter ``name``: an integer from 1 to 999999999, or None if absent."""
    value = query.get(name)
    if value is None:
        return None
    # isascii: str.isdigit also accepts digits such as '²' that int() rejects.
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or int(value) < 1:
        raise BadRequest(f"'{name}' must be an integer from 1 to 999999999 (got {value!r})")
    return int(value)


def known_reports(query: Mapping[str, str]) -> dict[int, tuple[str, int]]:
    """``known=<partition>:<source>:<revision>,...``: the report copies a worker holds."""
    value = query.get("known", "")
    known: dict[int, tuple[str, int]] = {}
    for entry in value.split(",") if value else ():
        parts = entry.split(":")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in (parts[0], parts[2])):
            raise BadRequest("'known' must list <partition>:<source>:<revision> entries")
        known[int(parts[0])] = (parts[1], int(parts[2]))
    return known


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for this header)."""
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def declare_views(app: faust.App, cluster: Cluster, view: MergedView) -> dict[str, Counter[int]]:
    """Register OLF's web views on ``app``; statistics are answered from ``view``.

    Returns each view's answers by HTTP status, by path (for ``/metrics``).
    """

    class OlfView(UnsensedView):
        """A view whose :class:`BadRequest` becomes a JSON 400 (and not seen by Faust's sensors)."""

        def bad_request(self, problem: BadRequest) -> Response:
            status = HTTPStatus.BAD_REQUEST
            return self.json(error_body(status, str(problem)), status=status)

        def not_found(self, message: str) -> Response:
            status = HTTPStatus.NOT_FOUND
            return self.json(error_body(status, message), status=status)

        def answer(self, request: Request, answer: Answer) -> Response:
            """The encoded answer, or 304 when the client holds it already."""
            headers = {"ETag": answer.etag, "Cache-Control": REVALIDATE}
            if etag_matches(request.headers.get("If-None-Match"), answer.etag):
                return self.bytes(b"", status=HTTPStatus.NOT_MODIFIED, headers=headers)
            return self.bytes(answer.body, content_type=JSON, headers=headers)

    @app.page("/api/stats/summary")
    class Summary(OlfView):
        async def get(self, request: Request) -> Response:
            return self.answer(request, view.answer("summary", answers.summary))

    @app.page("/api/stats/customers")
    class CustomerCounts(OlfView):
        async def get(self, request: Request) -> Response:
            try:
                dimension = choice(request.query, "by", DIMENSIONS)
            except BadRequest as problem:
                return self.bad_request(problem)
            answer = view.answer(
                f"customers/{dimension}", lambda merged: answers.customer_counts(merged, dimension)
            )
            return self.answer(request, answer)

    @app.page("/api/stats/orders")
    class OrderCounts(OlfView):
        async def get(self, request: Request) -> Response:
            try:
                dimension = choice(request.query, "by", ORDER_DIMENSIONS)
            except BadRequest as problem:
                return self.bad_request(problem)
            answer = view.answer(
                f"orders/{dimension}", lambda merged: answers.order_counts(merged, dimension)
            )
            return self.answer(request, answer)

    @app.page("/api/stats/timeseries")
    class TimeSeries(OlfView):
        async def get(self, request: Request) -> Response:
            try:
                metric = series_name(request.query)
                window = choice(request.query, "window", tuple(WINDOW_SIZES))
            except BadRequest as problem:
                return self.bad_request(problem)
            answer = view.answer(
                f"timeseries/{metric}/{window}",
                lambda merged: answers.timeseries(merged, metric, window),
            )
            return self.answer(request, answer)

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

    @app.page(REPORTS_PATH)
    class InternalReports(OlfView):
        async def get(self, request: Request) -> Response:
            try:
                known = known_reports(request.query)
            except BadRequest as problem:
                return self.bad_request(problem)
            updates: dict[str, Any] = {}
            for partition in view.local.reports:
                source, since = known.get(partition, ("", 0))
                update: ReportUpdate | None = view.local.update_for(partition, source, since)
                if update is not None:
                    updates[str(partition)] = update.to_json()
            return self.bytes(orjson.dumps({"partitions": updates}), content_type=JSON)

    @app.page(CUSTOMER_PATH + "{customer_id}")
    class InternalCustomer(OlfView):
        async def get(self, request: Request, customer_id: str) -> Response:
            state = cluster.statistics.customer(customer_id)
            if state is None:
                return self.not_found(f"no customer {customer_id!r} on this worker")
            return self.json({"state": state.to_json()})

    return {
        "/api/stats/summary": Summary.answered,
        "/api/stats/customers": CustomerCounts.answered,
        "/api/stats/orders": OrderCounts.answered,
        "/api/stats/timeseries": TimeSeries.answered,
        "/api/customers/{customer_id}": Customer.answered,
        REPORTS_PATH: InternalReports.answered,
        CUSTOMER_PATH + "{customer_id}": InternalCustomer.answered,
    }
