"""The reads' ceiling: a bare aiohttp server answering one small JSON object, nothing else.

``python -m dev.benchmark.bare_http PORT``; the benchmark measures it with the
same load as OLF's statistics endpoints, in the same run.
"""

from __future__ import annotations

import sys

from aiohttp import web

BODY = {"customers": {"total": 2000}, "complete": True}


async def answer(request: web.Request) -> web.Response:
    return web.json_response(BODY)


def main() -> None:
    app = web.Application()
    app.router.add_get("/", answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
