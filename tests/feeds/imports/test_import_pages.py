"""A blog's pages ("About", "Contact") imported with --pages stay pages, on both engines: they
are in the pages feed (/feeds/pages/default) and in no posts feed (the site's, a label's, an
author's), so subscribers never see them as new posts; importing again changes nothing; a
page an older syndic stored as a post becomes a page when the export is imported again; and
a change to a page renders the pages feed, not the posts feeds."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update

from feeds.feedset import author_key, pages_key, site_feed_keys
from feeds.models import PostDraft, PostKind
from feeds.posts import link_of
from feeds.store import schema as t
from feeds.store.imports import post_digest
from tests.feeds.imports.conftest import (
    ATOM,
    CTX,
    EXPORTS,
    FIXTURES,
    Blog,
    entries,
    entry_ids,
)
from tests.feeds.imports.exports import alternate

ABOUT = "tag:blogger.com,1999:blog-7001234567890123456.page-5522334455667788001"
ZOE = author_key("zoe-olafsdottir")
SITE_FEED = "/feeds/posts/default"
PAGES = pages_key(CTX.default_max)


async def import_takeout(blog: Blog) -> tuple[int, int, int]:
    kind, name = EXPORTS["blogger-takeout"]
    report = await blog.import_bytes(kind, (FIXTURES / name).read_bytes(), name, pages=True)
    return report.posts_added, report.posts_updated, report.posts_unchanged


async def test_a_blogger_page_is_in_the_pages_feed_and_in_no_posts_feed(blog: Blog) -> None:
    added, _, _ = await import_takeout(blog)
    await blog.regenerate()

    pages = await blog.atom(PAGES)
    assert entry_ids(pages) == [ABOUT]
    [entry] = entries(pages)
    assert alternate(entry) == "http://blog.test/p/about.html"
    assert pages.findtext(f"{ATOM}title") == "Imported: pages"
    for key in (SITE_FEED, "/feeds/posts/full", "/feeds/posts/summary", ZOE):
        feed = await blog.atom(key)
        assert ABOUT not in entry_ids(feed), key
        assert entry_ids(feed), key  # Zoë's posts are there; her page is not
    page = await blog.store.get_post(blog.site.id, ABOUT)
    assert page.kind is PostKind.PAGE and link_of(blog.site, page) == "http://blog.test/p/about.html"
    # Its author has a feed for her posts, none for the page: the site's lists say so.
    assert [slug for slug, _, _ in await blog.store.authors(blog.site.id, blog.clock.now())] == [
        "kenji-田中", "zoe-olafsdottir"]

    # Importing the same export again changes nothing: no post written, no feed to render.
    assert await import_takeout(blog) == (0, 0, added)
    assert await blog.dirty_rows() == 0


async def test_a_page_an_older_syndic_stored_as_a_post_becomes_a_page_on_importing_again(
    blog: Blog,
) -> None:
    await import_takeout(blog)
    page = await blog.store.get_post(blog.site.id, ABOUT)
    # As an older syndic left it: a post, recorded as its import wrote it, in the feeds.
    as_post = replace(page, kind=PostKind.POST)
    async with blog.store.engine.begin() as conn:
        await conn.execute(update(t.posts).where(t.posts.c.id == page.id).values(
            kind="post", import_digest=post_digest(as_post)))
    await blog.publisher.mark_all(blog.site, blog.clock.now())
    await blog.regenerate()
    assert ABOUT in entry_ids(await blog.atom(SITE_FEED))
    assert ABOUT in entry_ids(await blog.atom(ZOE))

    _, updated, _ = await import_takeout(blog)

    assert updated == 1
    dirty = set((await blog.store.dirty_feeds())[blog.site.id][1])
    assert {SITE_FEED, ZOE, PAGES} <= dirty  # the feeds it leaves, and the one it enters
    await blog.regenerate()
    assert ABOUT not in entry_ids(await blog.atom(SITE_FEED))
    assert ABOUT not in entry_ids(await blog.atom(ZOE))
    assert entry_ids(await blog.atom(PAGES)) == [ABOUT]
    assert (await blog.store.get_post(blog.site.id, ABOUT)).kind is PostKind.PAGE


async def test_a_change_to_a_page_renders_the_pages_feed_and_no_posts_feed(blog: Blog) -> None:
    await import_takeout(blog)
    await blog.regenerate()
    page = await blog.store.get_post(blog.site.id, ABOUT)

    draft = PostDraft(title="About us", content_html=page.content_html,
                      published=page.published, slug=page.slug, authors=page.authors,
                      kind=PostKind.PAGE)
    await blog.publisher.update_post(blog.site, page, draft, blog.clock.now())

    dirty = set((await blog.store.dirty_feeds())[blog.site.id][1])
    assert PAGES in dirty
    assert not dirty & (site_feed_keys(CTX.default_max) | {ZOE})
    await blog.regenerate()
    pages = await blog.atom(PAGES)
    assert [e.findtext(f"{ATOM}title") for e in entries(pages)] == ["About us"]


async def test_a_wordpress_page_is_in_the_pages_feed_and_not_the_site_feed(blog: Blog) -> None:
    kind, name = EXPORTS["wxr-1.2"]
    await blog.import_bytes(kind, (FIXTURES / name).read_bytes(), name, pages=True)
    await blog.regenerate()

    about = "https://ledger.example.org/?page_id=107"
    assert entry_ids(await blog.atom(PAGES)) == [about]
    assert about not in entry_ids(await blog.atom(SITE_FEED))
    page = await blog.store.get_post(blog.site.id, about)
    assert link_of(blog.site, page) == f"http://blog.test/p/{page.slug}.html"
