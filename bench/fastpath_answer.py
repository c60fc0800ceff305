"""What the fast path spends on one request, in process (no sockets, no event loop):
FastPath.answer() for a cached site feed, per case, best of five runs of 200,000 calls; and
the bytes of response heads a feed holds (counted in the cache's budget).

    PYTHONPATH=. .venv/bin/python -m bench.fastpath_answer

Prints a markdown table. Run it at two commits (one checkout each) to compare.
"""

from __future__ import annotations

import timeit
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import Any

from feeds.models import Artifact, FeedFormat
from feeds.render import compress, etag_for
from server.fastpath import FastPath
from server.feed_cache import FeedCache, make_cached
from server.keys import FEEDS, SETTINGS, SITES

CALLS = 200_000
BODY = b"<feed>" + b"x" * 5_000 + b"</feed>"


def fast_path() -> tuple[FastPath, Artifact, int]:
    gz, br = compress(BODY)
    artifact = Artifact(1, "/feeds/posts/default", FeedFormat.ATOM, BODY, etag_for(BODY),
                        datetime(2026, 11, 1, tzinfo=UTC), "application/atom+xml; charset=utf-8",
                        "http://blog.test/feeds/posts/default", gz, br)
    cache = FeedCache(10**9, 10)
    feed = make_cached(artifact, "http://blog.test/hub", 300)
    cache.put(feed)
    site = SimpleNamespace(id=1, timezone="UTC")
    app: dict[Any, Any] = {
        SITES: SimpleNamespace(generation=0, for_host=lambda host: site),
        FEEDS: SimpleNamespace(cache=cache),
        SETTINGS: SimpleNamespace(feeds=SimpleNamespace(default_max_results=25,
                                                        max_results_cap=500)),
    }
    return FastPath(app), artifact, sum(len(h) for h in feed.wire.values())  # type: ignore[arg-type]


def main() -> None:
    fast, artifact, heads = fast_path()
    tag = artifact.etag
    host = {"host": "blog.test"}
    cases = {
        "200 identity": host,
        "200 gzip": {**host, "accept-encoding": "gzip, deflate, br"},
        "304, If-None-Match (identity tag)": {**host, "if-none-match": tag},
        "304, If-None-Match (gzip tag), gzip": {**host, "accept-encoding": "gzip",
                                                 "if-none-match": tag[:-1] + '-gz"'},
        "304, If-None-Match (identity tag), gzip": {**host, "accept-encoding": "gzip",
                                                     "if-none-match": tag},
        "304, If-Modified-Since": {**host,
                                   "if-modified-since": "Mon, 07 Dec 2026 00:00:00 GMT"},
    }
    print("| case | status | ns a request |\n| --- | --- | --- |")
    for name, headers in cases.items():
        request = ("GET", "/feeds/posts/default", headers)
        answer = fast.answer(request, "-", False)
        status = answer[0][9:12].decode() if answer else "aiohttp"
        best = min(timeit.repeat(partial(fast.answer, request, "-", False),
                                 number=CALLS, repeat=5))
        print(f"| {name} | {status} | {best / CALLS * 1e9:.0f} |")
    print(f"\nresponse heads held for the feed: {heads} bytes")


if __name__ == "__main__":
    main()
