"""OLF's web server beyond the statistics views: live stream, dashboard, health, OpenAPI.

:func:`declare_web_server` registers them all and the rules every answer
follows (:mod:`app.web.http_policy`); CORS is configured on the app itself
(``web_cors_options``, see :func:`app.web.http_policy.cors_options`).
"""

from __future__ import annotations

import faust

from app.queries.cluster import Cluster
from app.queries.merged_view import MergedView
from app.settings import Settings
from app.web.dashboard import declare_dashboard
from app.web.health import declare_health
from app.web.http_policy import install_http_policy
from app.web.openapi import declare_openapi
from app.web.stream import declare_stream


def declare_web_server(
    app: faust.App, cluster: Cluster, view: MergedView, settings: Settings
) -> None:
    """Register the routes and rules on ``app``, with the stream's limits from ``settings``."""
    install_http_policy(app)
    declare_openapi(app)
    declare_health(app, cluster, view)
    declare_dashboard(app)
    declare_stream(
        app,
        view,
        max_clients=settings.stream_max_clients,
        write_timeout=settings.stream_write_timeout,
    )
