"""`alt=json-in-script` answers: the Atom feed's GData JSON in a callback
(feeds/render/gdata_json.py), made from the cached Atom bytes and kept, per Atom version
and callback, in a small LRU.

Widgets name a fixed callback (showrecentposts), so most requests hit; a jQuery-style
callback that changes per request misses every time, which the bound keeps harmless. The
answer is a representation of its own: a strong ETag of its bytes, the Atom version's
Last-Modified, gzip and br made with it, and conditional GET as for every feed
(server/handlers/feeds.respond)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from feeds.render import compress, etag_for
from feeds.render.gdata_json import gdata_json, script
from server.feed_cache import CachedFeed, make_cached

CONTENT_TYPE = "text/javascript; charset=utf-8"
ENTRIES = 256


class ScriptFeeds:
    def __init__(self, zipper: ThreadPoolExecutor, max_age: int, entries: int = ENTRIES
                 ) -> None:
        self._zipper = zipper
        self._max_age = max_age
        self._entries = entries
        self._made: OrderedDict[tuple[str, str], CachedFeed] = OrderedDict()

    async def answer(self, atom: CachedFeed, callback: str) -> CachedFeed:
        key = (atom.artifact.etag, callback)
        hit = self._made.get(key)
        if hit is not None:
            self._made.move_to_end(key)
            return hit
        # Converting and compressing a long feed takes milliseconds: on the compression
        # thread, beside the event loop.
        body, gz, br = await asyncio.get_running_loop().run_in_executor(
            self._zipper, _made, atom.bodies["identity"], callback)
        artifact = replace(atom.artifact, body=body, body_gzip=gz, body_br=br,
                           etag=etag_for(body), content_type=CONTENT_TYPE)
        made = make_cached(artifact, None, self._max_age)
        # A script is fetched by a page of any site, never sniffed as something else.
        made.headers["X-Content-Type-Options"] = "nosniff"
        self._made[key] = made
        while len(self._made) > self._entries:
            self._made.popitem(last=False)
        return made


def _made(atom: bytes, callback: str) -> tuple[bytes, bytes, bytes]:
    body = script(callback, gdata_json(atom))
    return (body, *compress(body))
