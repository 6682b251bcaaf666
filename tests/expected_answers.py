"""The statistics answers (without ``as_of``) the reference model predicts, by path.

Shared by the integration tests and ``make bench``, which checks its readers
with the same answers; no pytest here, so the benchmark can import it.
"""

from __future__ import annotations

from typing import Any

from tests.reference_model import ReferenceModel

SUMMARY = "/api/stats/summary"
DIMENSIONS = ("country", "segment", "status")
ORDER_DIMENSIONS = ("country", "segment")


def processed(summary: dict[str, Any]) -> int:
    """Messages of both topics a summary says were processed (applied, duplicate or rejected)."""
    return sum(
        int(events["applied"] + events["duplicates"] + events["rejected"])
        for events in (summary["events"], summary["order_events"])
    )


def event_counts(model: ReferenceModel) -> dict[str, int]:
    """The summary's ``events``."""
    return {"applied": model.applied, "duplicates": model.duplicates, "rejected": model.rejected}


def order_event_counts(model: ReferenceModel) -> dict[str, int]:
    """The summary's ``order_events``."""
    return {
        "applied": model.order_applied,
        "duplicates": model.order_duplicates,
        "rejected": model.order_rejected,
    }


def expected_answers(model: ReferenceModel) -> dict[str, Any]:
    """Every statistics answer the model predicts, by path."""
    answers: dict[str, Any] = {
        SUMMARY: {
            "customers": {"total": model.total},
            "events": event_counts(model),
            "orders": model.order_totals(),
            "order_events": order_event_counts(model),
        }
    }
    for by in ORDER_DIMENSIONS:
        answers[f"/api/stats/orders?by={by}"] = {
            "by": by,
            "orders": model.order_counts(by),
            "totals": model.order_totals(),
        }
    for currency in model.currencies():
        for metric in (f"orders.{currency}", f"revenue.{currency}"):
            for window in ("1m", "1h"):
                answers[f"/api/stats/timeseries?metric={metric}&window={window}"] = {
                    "metric": metric,
                    "window": window,
                    "points": model.points(metric, window),
                }
    for by in DIMENSIONS:
        answers[f"/api/stats/customers?by={by}"] = {
            "by": by,
            "counts": model.counts(by),
            "total": model.total,
        }
    for metric in ("signups", "updates", "deletions"):
        for window in ("1m", "1h"):
            answers[f"/api/stats/timeseries?metric={metric}&window={window}"] = {
                "metric": metric,
                "window": window,
                "points": model.points(metric, window),
            }
    return answers
