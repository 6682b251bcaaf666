"""Checking a reader's final answers against the reference model, exactly.

A fast but wrong reader must fail the run, so every stateful reader's answers
are compared in full: OLF's through its HTTP API (summary, counts by country,
segment and status, all six time series, and ``as_of`` saying complete with no
lag), Quix Streams' through the counts it reports. Each check returns the
differences it found, as short lines; an empty list means right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dev.benchmark.olf_worker import OlfWorker
from tests.expected_answers import DIMENSIONS, event_counts, expected_answers, processed
from tests.reference_model import ReferenceModel


def _differs(what: str, got: object, expected: object) -> str:
    text = f"{what}: got {got!r}, expected {expected!r}"
    return text if len(text) <= 300 else text[:297] + "..."


def check_olf(get_json: Callable[[str], Any], model: ReferenceModel) -> list[str]:
    """Compare every statistics answer of one OLF worker with ``model``."""
    problems = []
    for path, expected in expected_answers(model).items():
        body = dict(get_json(path))
        as_of = body.pop("as_of", None)
        if body != expected:
            problems.append(_differs(path, body, expected))
        if not as_of or not as_of.get("complete") or as_of.get("lag") != 0:
            problems.append(_differs(f"{path} as_of", as_of, "complete, lag 0"))
    return problems


def check_final(worker: OlfWorker, model: ReferenceModel, timeout: float = 120.0) -> list[str]:
    """Wait until ``worker`` has processed every message of ``model`` with no lag; check it.

    Raises:
        WorkerFailed: it did not get there within ``timeout`` seconds.
    """
    total = model.applied + model.duplicates + model.rejected
    worker.wait_until(
        worker.summary,
        lambda s: processed(s) >= total and s["as_of"]["complete"] and s["as_of"]["lag"] == 0,
        timeout,
        f"a complete summary of {total:,} messages with no lag",
    )
    return check_olf(worker.get_json, model)


def check_quix(answers: dict[str, Any], model: ReferenceModel) -> list[str]:
    """Compare the Quix Streams reader's events, total and counts with ``model``."""
    problems = []
    if answers.get("events") != event_counts(model):
        problems.append(_differs("events", answers.get("events"), event_counts(model)))
    if answers.get("total") != model.total:
        problems.append(_differs("customers total", answers.get("total"), model.total))
    for by in DIMENSIONS:
        got = answers.get("counts", {}).get(by)
        if got != model.counts(by):
            problems.append(_differs(f"customers by {by}", got, model.counts(by)))
    return problems


def check_messages(answers: dict[str, Any], expected: int) -> list[str]:
    """A stateless reader's only answer: it read every message, once."""
    got = answers.get("messages")
    return [] if got == expected else [_differs("messages read", got, expected)]
