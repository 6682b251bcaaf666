"""Every statistic of both topics, as the model predicts it and as OLF answers it.

Unit tests compare the two dictionaries whole, so a difference anywhere shows.
"""

from __future__ import annotations

from typing import Any

from app.queries import answers
from app.queries.answers import MergedReports
from models.event_window import METRICS
from tests.reference_model import ReferenceModel


def model_answers(model: ReferenceModel) -> dict[str, Any]:
    """What the model says of every statistic of both topics; ``series`` by (name, window)."""
    series = [*METRICS, *(f"{m}.{c}" for c in model.currencies() for m in ("orders", "revenue"))]
    return {
        "order_events": {
            "applied": model.order_applied,
            "duplicates": model.order_duplicates,
            "rejected": model.order_rejected,
        },
        "events": {
            "applied": model.applied,
            "duplicates": model.duplicates,
            "rejected": model.rejected,
        },
        "orders": model.order_totals(),
        "by_country": model.order_counts("country"),
        "by_segment": model.order_counts("segment"),
        "customers": model.counts("country"),
        "newest": model.newest_event_time(),
        "series": {(s, w): model.points(s, w) for s in series for w in ("1m", "1h")},
    }


def view_answers(merged: MergedReports, series: list[tuple[str, str]]) -> dict[str, Any]:
    """The same statistics as a worker answers them, for the ``series`` the model names."""
    summary = answers.summary(merged)
    by_country = answers.order_counts(merged, "country")
    assert by_country["totals"] == summary["orders"]
    return {
        "order_events": summary["order_events"],
        "events": summary["events"],
        "orders": summary["orders"],
        "by_country": by_country["orders"],
        "by_segment": answers.order_counts(merged, "segment")["orders"],
        "customers": merged.counts("country"),
        "newest": merged.as_of()["newest_event_time"],
        "series": {(s, w): merged.points(s, w) for s, w in series},
    }
