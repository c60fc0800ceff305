"""More of a WordPress blog's old links to a post keep leading to it after the import: the
same URLs behind /index.php (a blog with PATHINFO permalinks, /index.php/2020/05/slug/, and
what every WordPress answers), a post's page N (/slug/2/, the `<!--nextpage-->` pages: the
whole post is on its one page here), a comment page (/slug/comment-page-2/, ?cpage=2) or a
reply link, which land on the post's comments. A running syndic, real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from server.clock import FakeClock
from tests.server.conftest import Client
from tests.server.test_wordpress_urls import (
    BASE,
    FROST,
    WXR,
    follow,
    ids_in,
    page_of,
    redirect,
    serving_imports,
)

Serve = Callable[..., Awaitable[Client]]
SOWING = "https://old.example/?p=40"
PATHINFO_EXPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Old blog</title><wp:wxr_version>1.2</wp:wxr_version>
<wp:category><wp:term_id>5</wp:term_id><wp:category_nicename>moon</wp:category_nicename>
<wp:cat_name>Moon</wp:cat_name></wp:category>
<item><title>Sowing by the moon</title><guid isPermaLink="false">{SOWING}</guid>
<link>https://old.example/index.php/2020/05/sowing/</link>
<content:encoded><![CDATA[<p>Part one: the seeds.</p>
<!--nextpage-->
<p>Part two: the moon.</p>]]></content:encoded>
<wp:post_id>40</wp:post_id><wp:post_date_gmt>2020-05-10 09:00:00</wp:post_date_gmt>
<wp:post_name>sowing</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
<category domain="category" nicename="moon"><![CDATA[Moon]]></category>
<wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_author>Ines</wp:comment_author>
<wp:comment_date_gmt>2020-05-11 10:00:00</wp:comment_date_gmt>
<wp:comment_content>Waxing or waning?</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
</wp:comment></item>
</channel></rss>
"""


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


async def serve_pathinfo_blog(serve: Serve, tmp_path: Path) -> Client:
    export = tmp_path / "pathinfo.xml"
    export.write_text(PATHINFO_EXPORT, encoding="utf-8")
    return await serve("wordpress", export)


# --- /index.php before the URL ------------------------------------------------------------


@pytest.mark.parametrize("old", [
    "/index.php?p=101", "/index.php?p=101&utm_source=newsletter",
    "/index.php/2023/11/14/first-frost/", "/index.php/2023/11/14/first-frost",
    "/index.php/2023/11/14/first-frost/amp/",
])
async def test_a_reader_following_a_link_through_index_php_lands_on_the_post(
    serve: Serve, old: str,
) -> None:
    client = await serve("wordpress", WXR)

    location = await redirect(client, old)

    assert location == await page_of(client, FROST)
    _, body = await follow(client, location)
    assert b"First frost &amp; what survived" in body


async def test_a_page_through_index_php_lands_on_it(serve: Serve) -> None:
    client = await serve("wordpress", WXR, include_pages=True)
    about = await page_of(client, "https://ledger.example.org/?page_id=107")

    for old in ("/index.php?page_id=107", "/index.php/about/"):
        assert await redirect(client, old) == about, old


async def test_index_php_alone_is_the_home_page(serve: Serve) -> None:
    client = await serve("wordpress", WXR)
    for old in ("/index.php", "/index.php/", "/index.php?utm_source=x"):
        assert await redirect(client, old) == f"{BASE}/", old


async def test_a_pathinfo_blogs_links_lead_to_the_post_with_index_php_or_without(
    serve: Serve, tmp_path: Path,
) -> None:
    client = await serve_pathinfo_blog(serve, tmp_path)
    sowing = await page_of(client, SOWING)

    for old in ("/index.php/2020/05/sowing/", "/2020/05/sowing/", "/index.php?p=40",
                "/index.php/2020/05/sowing/2/"):
        assert await redirect(client, old) == sowing, old
    location = await redirect(client, "/index.php/2020/05/sowing/feed/")
    _, body = await follow(client, location)
    assert ids_in(body) == {f"{SOWING}#comment-3"}


# --- a post's page N ----------------------------------------------------------------------


@pytest.mark.parametrize("old", [
    "/2023/11/14/first-frost/2/", "/2023/11/14/first-frost/2", "/2023/11/14/first-frost/17/",
    "/?p=101&page=2", "/2023/11/14/first-frost/embed/", "/2023/11/14/first-frost/trackback/",
])
async def test_a_link_to_a_page_of_a_post_lands_on_the_post(serve: Serve, old: str) -> None:
    client = await serve("wordpress", WXR)
    assert await redirect(client, old) == await page_of(client, FROST)


async def test_a_post_split_into_pages_is_shown_whole_where_its_page_2_leads(
    serve: Serve, tmp_path: Path,
) -> None:
    client = await serve_pathinfo_blog(serve, tmp_path)

    location = await redirect(client, "/index.php/2020/05/sowing/2/")

    _, body = await follow(client, location)
    assert b"Part one: the seeds." in body
    assert b"Part two: the moon." in body


# --- comment pages and reply links ------------------------------------------------------


@pytest.mark.parametrize("old", [
    "/2023/11/14/first-frost/comment-page-1/", "/2023/11/14/first-frost/comment-page-2",
    "/index.php/2023/11/14/first-frost/comment-page-3/", "/?p=101&cpage=2",
    "/index.php?p=101&cpage=2", "/2023/11/14/first-frost/?replytocom=12",
    "/2023/11/14/first-frost/?cpage=2",
])
async def test_a_reader_following_a_comment_page_link_lands_on_the_posts_comments(
    serve: Serve, old: str,
) -> None:
    client = await serve("wordpress", WXR)

    location = await redirect(client, old)

    assert location == await page_of(client, FROST) + "#comments"
    _, body = await follow(client, location.partition("#")[0])
    assert b'<section id="comments">' in body
    assert b"Lost all my dahlias too." in body  # comment 11, on the old blog's page 1


async def test_a_post_without_comments_still_has_the_place_a_comment_link_leads_to(
    serve: Serve,
) -> None:
    client = await serve("wordpress", WXR)
    sourdough = await page_of(client, "https://ledger.example.org/?p=102")

    location = await redirect(client, "/2024/01/20/sourdough-week-12/comment-page-1/")

    assert location == sourdough + "#comments"
    _, body = await follow(client, sourdough)
    assert b'id="comments"' in body
