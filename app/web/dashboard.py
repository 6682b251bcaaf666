"""``GET /``: the live dashboard, one page with its own script and style sheet.

The files live in ``app/web/static/`` and are served by the worker itself (no CDN,
no build step): ``/`` is ``index.html``, ``/static/<name>`` any of them. The
page reads ``/api/stream`` (see :mod:`app.web.stream`) and draws its charts as SVG.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Final, cast

import faust
from aiohttp import web
from faust.web import Request, Response, View

from app.web.http_policy import STATIC_PREFIX
from infrastructure.json_errors import error_body

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
#: Faust mounts this ``{"status": "OK"}`` placeholder at ``/`` unless told otherwise.
FAUST_INDEX_BLUEPRINT: Final = "faust.web.apps.production_index:blueprint"


def declare_dashboard(app: faust.App) -> None:
    """Serve the dashboard at ``/`` and its files at ``/static/<name>``."""
    # The dashboard takes "/" instead of Faust's placeholder; Faust applies
    # its blueprints only when the server starts, so dropping it here suffices.
    blueprints = app.web.blueprints
    blueprints._enabled = [
        (prefix, blueprint)
        for prefix, blueprint in blueprints._enabled
        if blueprint != FAUST_INDEX_BLUEPRINT
    ]
    # Only the files that ship with OLF, by name: no path ever reaches the disk.
    files = {path.name: path for path in STATIC_DIR.iterdir() if path.is_file()}

    @app.page("/")
    class Dashboard(View):
        async def get(self, request: Request) -> Response:
            return cast(Response, web.FileResponse(files["index.html"]))

    @app.page(STATIC_PREFIX + "/{name}")
    class StaticFile(View):
        async def get(self, request: Request, name: str) -> Response:
            path = files.get(name)
            if path is None:
                status = HTTPStatus.NOT_FOUND
                return self.json(error_body(status, f"no such file: {name}"), status=status)
            return cast(Response, web.FileResponse(path))
