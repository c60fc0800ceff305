"""An old link to one comment (WordPress's /slug/#comment-12, Blogger's post.html#c123, with
?showComment=... before it) lands on that comment: the fragment never reaches the server,
so the post's page carries each imported comment's old anchor beside its own
#comment-ID. A running syndic, real HTTP on loopback, by aiohttp alone and behind the
fast path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree
from yarl import URL

from server.clock import FakeClock
from tests.feeds.imports.exports import alternate, wxr_comment, wxr_export, wxr_post
from tests.server.conftest import Client
from tests.server.test_wordpress_urls import ATOM, FIXTURES, WXR, redirect, serving_imports

Serve = Callable[..., Awaitable[Client]]


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


async def page(client: Client, path: str) -> Any:
    resp = await client.get(path)
    assert resp.status == 200, path
    return lxml.html.fromstring(await resp.text())


def comment_at(doc: Any, anchor: str) -> str:
    """The text of the comment a link to #anchor lands on."""
    (target,) = doc.xpath("//*[@id=$a]", a=anchor)
    (item,) = target.xpath("ancestor-or-self::li[1]")
    assert item.xpath("ancestor::section[@id='comments']")
    return str(item.text_content())


async def test_an_old_wordpress_comment_link_lands_on_the_comment(serve: Serve) -> None:
    client = await serve("wordpress", WXR)
    post = URL(await redirect(client, "/2023/11/14/first-frost/")).path

    doc = await page(client, post)

    assert "Straw and fleece, both!" in comment_at(doc, "comment-12")
    assert "Marta Quiñones" in comment_at(doc, "comment-12")
    assert not doc.xpath("//*[@id='comment-13' or @id='comment-14']")  # spam, pending


async def test_an_old_blogger_comment_link_lands_on_the_comment(serve: Serve) -> None:
    client = await serve("blogger", FIXTURES / "blogger" / "takeout.atom")

    doc = await page(client, "/2019/03/momo-folding.html?showComment=1551841200000")

    assert "Lovely pleats!" in comment_at(doc, "c6633445566778899001")
    assert "Butter, never ghee" in comment_at(doc, "c6633445566778899002")


async def test_an_old_anchor_that_is_another_comments_id_here_stays_that_comments(
    serve: Serve, tmp_path: Path,
) -> None:
    """WordPress's comment 2 and syndic's comment 2 are other comments: the page has one
    element of each id, and the feed's links (#comment-ID, syndic's) keep their comment."""
    export = tmp_path / "wordpress.xml"
    export.write_bytes(wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments="".join(
        wxr_comment(n, f"Reader {n}", f"Comment {n} on the old blog.",
                    f"2023-11-14 0{4 + i}:00:00") for i, n in enumerate((2, 1, 30))))))
    client = await serve("wordpress", export)
    atom = etree.fromstring(await (await client.get("/feeds/comments/default")).read())
    # Each comment's link in the feed, and the words it has.
    linked = {alternate(e): e.findtext(f"{ATOM}content") or "" for e in atom.iter(f"{ATOM}entry")}
    assert len(linked) == 3

    doc = await page(client, URL(next(iter(linked))).path)

    ids = Counter(str(i) for i in doc.xpath("//@id"))
    assert max(ids.values()) == 1, ids
    for href, words in linked.items():
        said = lxml.html.fromstring(words).text_content().strip()
        assert said in comment_at(doc, URL(href).fragment), href
    assert "Comment 30 on the old blog." in comment_at(doc, "comment-30")
