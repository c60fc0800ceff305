"""A change shows in its feeds as soon as they are rendered: the gzip and br bodies are made
right after, once each, and a reader who asks for one meanwhile waits for that alone."""

from __future__ import annotations

import asyncio
import gzip
import threading

import brotli

from feeds.models import FeedFormat, PostDraft
from server.http_cache import coded_etag
from server.keys import CLOCK, FEEDS, PUBLISHER, SITES, STORE
from tests.server.conftest import Client
from tests.server.test_visibility import _settle

FEED = "/feeds/posts/default"


async def _add_post(demo: Client, title: str) -> str:
    app = demo.server.app
    now = app[CLOCK].now()
    post = await app[PUBLISHER].add_post(
        app[SITES].default, PostDraft(title=title, content_html="<p>news</p>", published=now),
        now)
    return post.entry_id


async def test_a_new_post_is_served_before_its_feed_is_compressed_and_gzip_follows(
    demo: Client,
) -> None:
    app = demo.server.app
    await app[FEEDS].compressions_done()
    # Hold the compression thread, as a slow compression of a large feed would.
    release = threading.Event()
    app[FEEDS]._zipper.submit(release.wait)  # the test holds the thread
    try:
        entry_id = await _add_post(demo, "Fresh off the press")
        await _settle(demo)
        plain = await demo.get(FEED, headers={"Accept-Encoding": "identity"})
        assert plain.status == 200 and "Content-Encoding" not in plain.headers
        body = await plain.read()
        assert entry_id.encode() in body

        zipped = asyncio.ensure_future(demo.get(FEED, headers={"Accept-Encoding": "gzip"}))
        await asyncio.sleep(0.1)
        assert not zipped.done()  # it waits for the one compression it needs
    finally:
        release.set()
    resp = await zipped
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["ETag"] == coded_etag(plain.headers["ETag"], "gzip")
    assert await resp.read() == body  # the test client decompresses


async def test_the_compressed_bodies_are_stored_beside_the_feed_once_made(demo: Client) -> None:
    app = demo.server.app
    await _add_post(demo, "Stored twice over")
    await _settle(demo)
    await app[FEEDS].compressions_done()
    site = app[SITES].default
    bodies = await app[STORE].artifact_bodies(site.id, FEED, FeedFormat.ATOM)
    assert bodies is not None
    body, gz, br = bodies
    assert gzip.decompress(gz) == body and brotli.decompress(br) == body
    resp = await demo.get(FEED, headers={"Accept-Encoding": "br"})
    assert resp.headers["Content-Encoding"] == "br"


async def test_a_feed_changed_again_within_the_delay_is_compressed_once_in_its_newest_version(
    demo: Client,
) -> None:
    """Under a stream of changes each version waits its own delay: compressing every
    version of every feed as it came kept a core busy."""
    app = demo.server.app
    site = app[SITES].default
    await app[FEEDS].compressions_done()
    await _add_post(demo, "First of two")
    await _settle(demo)
    first_done = asyncio.get_running_loop().time()
    await asyncio.sleep(0.6)
    second = await _add_post(demo, "Second of two")
    await _settle(demo)
    await asyncio.sleep(max(0.0, first_done + 1.2 - asyncio.get_running_loop().time()))

    bodies = await app[STORE].artifact_bodies(site.id, FEED, FeedFormat.ATOM)
    assert bodies is not None and bodies[1] == b""  # the first version was never compressed
    await app[FEEDS].compressions_done()
    bodies = await app[STORE].artifact_bodies(site.id, FEED, FeedFormat.ATOM)
    assert bodies is not None
    assert second.encode() in bodies[0] and gzip.decompress(bodies[1]) == bodies[0]


async def test_a_feed_changed_while_its_last_version_is_compressed_keeps_the_change(
    demo: Client,
) -> None:
    """The compression of a version that a change replaced meanwhile must not put that
    version back: readers got the old feed until the next change (seen as a post added
    from the command line that never showed)."""
    app = demo.server.app
    await app[FEEDS].compressions_done()
    release = threading.Event()
    # A slow compression of the first version: the compressor is held before that version
    # exists, so that a loaded machine's slow settling cannot let it be compressed first.
    app[FEEDS]._zipper.submit(release.wait)
    try:
        await _add_post(demo, "The version being compressed")
        await _settle(demo)
        zipped = asyncio.ensure_future(demo.get(FEED, headers={"Accept-Encoding": "gzip"}))
        await asyncio.sleep(0.1)
        assert not zipped.done()
        newer = await _add_post(demo, "The version that replaced it")
        await _settle(demo)
    finally:
        release.set()
    assert (await zipped).status == 200
    await app[FEEDS].compressions_done()
    plain = await demo.get(FEED, headers={"Accept-Encoding": "identity"})
    assert newer.encode() in await plain.read()
