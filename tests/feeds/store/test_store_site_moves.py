"""A blog's change of address or summary length, carried into its stored posts and comments
in the transaction that changes the blog, on both engines."""

from __future__ import annotations

from dataclasses import replace

from feeds.content import summary_from_html
from feeds.models import Author, Comment, CommentStatus, Enclosure, PostDraft, Site
from feeds.posts import prepare_post
from feeds.store import Store
from feeds.store.site_moves import carry_site_change, plan_summaries
from server.clock import FakeClock
from tests.feeds.store.conftest import MakeSite

BODY = ('<p><a href="/about">About</a> <img src="pic.png"> '
        '<a href="https://other.example/x">elsewhere</a> '
        '<a href="http://blog.test.example/y">a longer host</a> '
        + " ".join(f"word{i}" for i in range(80)) + "</p>")


async def _post(store: Store, site: Site, clock: FakeClock, title: str,
                summary: str | None = None) -> int:
    draft = PostDraft(title=title, content_html=BODY, published=clock.now(), summary=summary,
                      enclosures=(Enclosure("/files/talk.mp3", "audio/mpeg", 10),))
    post = prepare_post(site, draft, clock.now())
    return (await store.write_post(post, (), clock.now(), is_new=True)).id


async def test_a_blog_that_moves_takes_its_posts_and_comments_links_along(
        store: Store, site: Site, make_site: MakeSite, clock: FakeClock) -> None:
    other = await make_site("other.test")
    post_id = await _post(store, site, clock, "Moving")
    other_id = await _post(store, other, clock, "Staying")
    before = await store.get_post(site.id, str(post_id))
    assert 'href="http://blog.test/about"' in before.content_html
    assert before.thumbnail and before.thumbnail.startswith("http://blog.test/")
    comment = Comment(0, post_id, site.id, "tag:blog.test,2026:c-1", Author("R"),
                      '<p><a href="http://blog.test/2026/01/x.html">see</a></p>',
                      clock.now(), clock.now(), CommentStatus.APPROVED, None)
    comment_id = (await store.add_comment(comment, (), clock.now())).id

    await store.update_site(site.id, {"base_url": "https://blog.example.com/notes"})

    after = await store.get_post(site.id, str(post_id))
    new = "https://blog.example.com/notes/"
    assert f'href="{new}about"' in after.content_html
    assert f'src="{new}' in after.content_html and "http://blog.test/" not in after.content_html
    assert 'href="https://other.example/x"' in after.content_html
    assert 'href="http://blog.test.example/y"' in after.content_html
    assert after.thumbnail and after.thumbnail.startswith(new)
    assert after.enclosures[0].url == f"{new}files/talk.mp3"
    assert after.version == before.version + 1 and after.updated == before.updated
    stored_comment = await store.get_comment(site.id, comment_id)
    assert f'href="{new}2026/01/x.html"' in stored_comment.content_html
    # The other blog's posts are its own.
    assert "http://other.test/" in (await store.get_post(other.id, str(other_id))).content_html


async def test_a_restart_on_another_public_url_moves_the_default_blogs_links(
        store: Store, site: Site, clock: FakeClock) -> None:
    post_id = await _post(store, site, clock, "Moving")
    await store.set_base_url(site.id, "https://public.example")
    after = await store.get_post(site.id, str(post_id))
    assert 'href="https://public.example/about"' in after.content_html


async def test_a_new_summary_length_reaches_the_summaries_the_blog_made_not_the_authors(
        store: Store, site: Site, clock: FakeClock) -> None:
    made = await _post(store, site, clock, "Made")
    written = await _post(store, site, clock, "Written", summary="In my own words.")
    before = await store.get_post(site.id, str(made))
    assert len(before.summary) <= site.summary_length

    await store.update_site(site.id, {"summary_length": 60})

    after = await store.get_post(site.id, str(made))
    assert after.summary == summary_from_html(after.content_html, 60) != before.summary
    assert after.version == before.version + 1
    assert (await store.get_post(site.id, str(written))).summary == "In my own words."
    # Back again: the summary the first length made.
    await store.update_site(site.id, {"summary_length": site.summary_length})
    assert replace(await store.get_post(site.id, str(made)), version=0) == replace(before, version=0)


async def test_a_post_edited_while_the_summaries_are_cut_gets_its_summary_from_the_edit(
        store: Store, site: Site, clock: FakeClock) -> None:
    """The summaries are cut ahead of the write, each with the version it was cut from; a
    post written in between is cut again, in the write, from what it holds now."""
    first = await _post(store, site, clock, "First")
    plan = await plan_summaries(store.engine, site.id, site.summary_length, 60)
    before = await store.get_post(site.id, str(first))
    edited = prepare_post(site, PostDraft(
        title="First", content_html="<p>" + "edited " * 40 + "</p>", published=clock.now()),
        clock.now(), existing=before)
    await store.write_post(edited, (), clock.now(), is_new=False, replaces=before.version)
    late = await _post(store, site, clock, "Written meanwhile")

    async with store.writing() as conn:
        await carry_site_change(conn, site, replace(site, summary_length=60), plan)

    now = await store.get_post(site.id, str(first))
    assert now.summary == summary_from_html(now.content_html, 60)
    assert now.summary.startswith("edited edited")
    later = await store.get_post(site.id, str(late))
    assert later.summary == summary_from_html(later.content_html, 60)
