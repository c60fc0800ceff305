"""Scheduled sources (syndication in): a feed polled with conditional GET, a folder of post
files; imported on an interval with the importers, idempotently."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from config import SourceSettings
from feeds.models import PostKind
from server.app import create_app
from server.clock import FakeClock
from server.keys import STORE
from server.sources import check_sources

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Upstream</title><id>tag:upstream.test,2026:feed</id>
  <updated>2026-11-20T10:00:00Z</updated>
  <entry><id>tag:upstream.test,2026:one</id><title>From upstream</title>
    <link href="https://upstream.test/2026/11/from-upstream.html"/>
    <published>2026-11-20T10:00:00Z</published><updated>2026-11-20T10:00:00Z</updated>
    <content type="html">&lt;p&gt;Syndicated in.&lt;/p&gt;</content></entry>
</feed>"""


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[TestServer, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    async def feed(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(text=ATOM, content_type="application/atom+xml",
                            headers={"ETag": '"v1"'})

    app = web.Application()
    app.router.add_get("/feed.atom", feed)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, seen
    await server.close()


async def _app(make_settings: Callable[..., Any], clock: FakeClock,
               aiohttp_client: Callable[..., Awaitable[Any]], *sources: SourceSettings) -> Any:
    settings = dataclasses.replace(make_settings(), sources=sources)
    client = await aiohttp_client(create_app(settings, clock=clock))
    return client


async def test_a_feed_source_is_imported_then_polled_with_its_etag(
    make_settings: Callable[..., Any], clock: FakeClock,
    aiohttp_client: Callable[..., Awaitable[Any]],
    upstream: tuple[TestServer, list[dict[str, str]]],
) -> None:
    server, seen = upstream
    source = SourceSettings("upstream", feed=str(server.make_url("/feed.atom")),
                            every_minutes=10)
    client = await _app(make_settings, clock, aiohttp_client, source)
    app = client.app
    await check_sources(app)  # the job also runs at start; a claimed source is skipped
    post = await app[STORE].get_post(1, "tag:upstream.test,2026:one")
    assert post.title == "From upstream"
    assert await check_sources(app) == 0  # not due again before every_minutes
    clock.advance(minutes=11)
    assert await check_sources(app) == 1
    assert seen[-1].get("If-None-Match") == '"v1"'  # answered 304: nothing imported
    assert (await app[STORE].page_posts(1, 10, 0))[0] == 1


async def test_a_folder_source_imports_its_files_once(
    make_settings: Callable[..., Any], clock: FakeClock,
    aiohttp_client: Callable[..., Awaitable[Any]], tmp_path: Path,
) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "hello.md").write_text("---\ntitle: Hello from a folder\nlabels: [notes]\n---\n"
                                     "Some *Markdown*.\n", encoding="utf-8")
    (folder / "broken.md").write_text("no front matter\n", encoding="utf-8")
    client = await _app(make_settings, clock, aiohttp_client,
                        SourceSettings("notes", folder=str(folder), every_minutes=1))
    app = client.app
    await check_sources(app)
    total, posts = await app[STORE].page_posts(1, 10, 0)
    assert total == 1 and posts[0].labels == ("notes",)
    assert "<em>Markdown</em>" in posts[0].content_html
    clock.advance(minutes=2)
    assert await check_sources(app) == 1
    total, again = await app[STORE].page_posts(1, 10, 0)
    assert total == 1 and again[0].version == posts[0].version  # nothing changed
    runs = await app[STORE].import_runs(1)
    assert runs[0].report["skipped"][0]["where"] == "broken.md"


async def test_a_folders_file_that_says_kind_page_is_a_page(
    make_settings: Callable[..., Any], clock: FakeClock,
    aiohttp_client: Callable[..., Awaitable[Any]], tmp_path: Path,
) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "about.md").write_text("---\ntitle: About\nkind: page\n---\nWho.\n",
                                     encoding="utf-8")
    client = await _app(make_settings, clock, aiohttp_client,
                        SourceSettings("notes", folder=str(folder), every_minutes=1))
    await check_sources(client.app)
    [about] = (await client.app[STORE].page_posts(1, 10, 0))[1]
    assert about.kind is PostKind.PAGE
