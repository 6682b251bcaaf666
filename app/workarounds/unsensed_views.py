"""Views dispatched without Faust's per-request sensor calls: a faust-streaming slow path.

faust-streaming 0.15's ``View.dispatch`` calls ``app.sensors.on_web_request_start``
and ``on_web_request_end`` around every request. With the sensors every OLF
worker has (Faust's ``Monitor``, and the Prometheus sensor behind ``/metrics``),
those two calls took 11-12% of the CPU of a cached statistics answer under load
(py-spy while wrk sent requests): more than building the answer. The
statistics views, which clients poll at high rates, derive from
:class:`UnsensedView`: it dispatches as Faust's ``View`` does, without the
sensor calls, and counts its answers by status in :attr:`UnsensedView.answered`,
which ``/metrics`` reports (``olf_http_answers_total``). Faust's own
``faust_http_*`` metrics therefore leave these views out.

``tests/unit/test_unsensed_views.py`` shows both dispatches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, cast

from faust.web import Request, Response, View
from faust.web.exceptions import WebError


class UnsensedView(View):
    """A Faust view whose requests are counted, not passed through Faust's sensors."""

    #: Answers by HTTP status; each subclass has its own.
    answered: ClassVar[Counter[int]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.answered = Counter()

    async def dispatch(self, request: Any) -> Any:
        method = cast(Callable[..., Awaitable[Response]], self.methods[request.method.lower()])
        try:
            response = await method(cast(Request, request), **(request.match_info or {}))
        except WebError as exc:
            response = await self.on_request_error(request, exc)
        self.answered[response.status] += 1
        return response
