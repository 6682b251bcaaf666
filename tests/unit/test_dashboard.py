"""The dashboard page and its files: served by OLF itself, nothing from elsewhere."""

from __future__ import annotations

import re

from app.factory import Olf
from app.web.dashboard import STATIC_DIR
from tests.web_client import serve

CONTENT_TYPES = {".js": "application/javascript", ".css": "text/css", ".html": "text/html"}


async def test_the_page_and_every_file_it_references_are_served(olf: Olf) -> None:
    async with serve(olf) as client:
        page = await client.get("/")
        assert page.status == 200
        html = await page.text()
        assert html == (STATIC_DIR / "index.html").read_text()
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
        assert sorted(assets) == ["/static/dashboard.css", "/static/dashboard.js"]
        for asset in assets:
            response = await client.get(asset)
            assert response.status == 200, asset
            assert response.content_type == CONTENT_TYPES[asset[asset.rindex(".") :]]


async def test_unknown_files_and_paths_outside_the_folder_are_json_404s(olf: Olf) -> None:
    async with serve(olf) as client:
        outside = ("/static/..%2Fdashboard.py", "/static/%2e%2e/factory.py")
        for path in ("/static/missing.js", *outside):
            response = await client.get(path)
            assert response.status == 404, path
            assert (await response.json())["status"] == 404


def test_the_dashboard_works_offline() -> None:
    # No CDN, web font or remote script: every URL in the files is on this server.
    for path in STATIC_DIR.iterdir():
        text = path.read_text()
        remote = [
            url
            for url in re.findall(r"https?://[^\s\"')]+", text)
            if url != "http://www.w3.org/2000/svg"  # an XML namespace name, never fetched
        ]
        assert not remote, f"{path.name} refers to {remote}"
