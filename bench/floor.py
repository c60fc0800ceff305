"""The aiohttp floor: the same feed bytes and headers as syndic, from a handler that does
nothing but pick a prebuilt answer (no routing work, no parsing, no logging). What no change
to syndic's handler can beat while syndic is one aiohttp process.

    .venv/bin/python -m bench.floor DIR PORT ETAG     # DIR holds feed.atom and feed.atom.gz
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web


def make_app(root: Path, etag: str) -> web.Application:
    identity = (root / "feed.atom").read_bytes()
    gz = (root / "feed.atom.gz").read_bytes()
    headers = {
        "Content-Type": "application/atom+xml; charset=utf-8",
        "ETag": etag,
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Encoding",
        "Link": '<http://bench.example/feeds/posts/default>; rel="self"',
        "Access-Control-Allow-Origin": "*",
    }
    gz_headers = {**headers, "Content-Encoding": "gzip"}

    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return web.Response(body=gz, headers=gz_headers)
        return web.Response(body=identity, headers=headers)

    app = web.Application()
    app.router.add_get("/feeds/posts/default", feed)
    return app


if __name__ == "__main__":
    folder, port, tag = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    web.run_app(make_app(folder, tag), host="127.0.0.1", port=port, access_log=None, print=None)
