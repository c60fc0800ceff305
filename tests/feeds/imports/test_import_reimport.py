"""Stories about importing a blog's export again after work was done in syndic, on both
engines: what was done in syndic stays done. A comment marked spam stays spam, a deleted
comment stays deleted, an edited post keeps its edit (each reported, "changed in syndic
since import" or "deleted in syndic"), while what nobody touched in syndic follows the
export, and an unchanged export changes nothing at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import update

from feeds.imports.report import (
    CHANGED_IN_SYNDIC,
    DELETED_IN_SYNDIC,
    NO_IMPORT_RECORD,
    ImportReport,
)
from feeds.models import Comment, CommentStatus, PostDraft, PostStatus
from feeds.store import schema as t
from tests.feeds.imports.conftest import ATOM, EXPORTS, FIXTURES, Blog, entries, entry_ids

WXR = "https://ledger.example.org/?p="
FROST, SOURDOUGH, PLAN = f"{WXR}101", f"{WXR}102", f"{WXR}105"
AOIFE, MARTA_REPLY = f"{FROST}#comment-11", f"{FROST}#comment-12"
COMMENTS = (11, 12, 13, 14, 15)
"""The comments on FROST, by wp:comment_id."""
EXPORT = (FIXTURES / EXPORTS["wxr-1.2"][1]).read_bytes()
AOIFE_TEXT = b"Lost all my dahlias too.\nNext year: straw."
MARTA_TEXT = b"Straw <em>and</em> fleece, both!"
NEW_COMMENT = b"""<wp:comment>
			<wp:comment_id>20</wp:comment_id>
			<wp:comment_author><![CDATA[Late reader]]></wp:comment_author>
			<wp:comment_date_gmt><![CDATA[2024-06-01 10:00:00]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[Same here.]]></wp:comment_content>
			<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
			<wp:comment_parent>0</wp:comment_parent>
		</wp:comment>
		<wp:comment>
			<wp:comment_id>11</wp:comment_id>"""


def changed_export(*swaps: tuple[bytes, bytes]) -> bytes:
    data = EXPORT
    for old, new in swaps:
        assert data.count(old) == 1, old
        data = data.replace(old, new)
    return data


async def import_wxr(blog: Blog, data: bytes = EXPORT) -> ImportReport:
    return await blog.import_bytes("wordpress", data, "export-1.2.xml")


async def comment(blog: Blog, entry_id: str) -> Comment:
    stored = await blog.store.comments_by_entry_id(blog.site.id, [entry_id])
    return await blog.store.get_comment(blog.site.id, stored[entry_id].id)


async def settled(blog: Blog) -> dict[str, tuple[int, str]]:
    """Render what is dirty; the posts' versions then."""
    await blog.regenerate()
    assert await blog.store.dirty_feeds() == {}
    return await blog.versions()


async def test_a_comment_marked_spam_in_syndic_stays_spam_after_another_import(
    blog: Blog,
) -> None:
    first = await import_wxr(blog)
    aoife = await comment(blog, AOIFE)
    assert aoife.status is CommentStatus.APPROVED
    await blog.publisher.update_comment(blog.site, replace(aoife, status=CommentStatus.SPAM),
                                        blog.clock.now())
    versions = await settled(blog)

    again = await import_wxr(blog)

    assert (again.comments_added, again.comments_updated) == (0, 0)
    assert again.comments_unchanged == first.comments_added - 1
    assert (await comment(blog, AOIFE)).status is CommentStatus.SPAM
    # The line names the comment and its post (a WordPress item holds both).
    [(where, title, reason)] = [s for s in again.skipped if s not in first.skipped]
    assert (where.split(" (")[0], title, reason) == (
        "item 1", "First frost & what survived", f"comment 11: {CHANGED_IN_SYNDIC}")
    assert await blog.store.dirty_feeds() == {} and await blog.versions() == versions
    # The export changed the comment as well: syndic's version is kept all the same.
    edited = changed_export((AOIFE_TEXT, b"Lost every dahlia."))
    third = await import_wxr(blog, edited)
    kept = await comment(blog, AOIFE)
    assert (kept.status, kept.content_html) == (CommentStatus.SPAM, aoife.content_html)
    assert third.comments_updated == 0
    assert f"comment 11: {CHANGED_IN_SYNDIC}" in [r for _, _, r in third.skipped]
    assert await blog.store.dirty_feeds() == {}
    feed = await blog.atom(f"/feeds/{aoife.post_id}/comments/default")
    assert AOIFE not in entry_ids(feed) and MARTA_REPLY in entry_ids(feed)


async def test_a_comment_deleted_in_syndic_stays_deleted_and_its_reply_keeps_its_place(
    blog: Blog,
) -> None:
    await import_wxr(blog)
    aoife, reply = await comment(blog, AOIFE), await comment(blog, MARTA_REPLY)
    assert reply.parent_id == aoife.id
    await blog.publisher.delete_comment(blog.site, aoife, blog.clock.now())
    versions = await settled(blog)

    again = await import_wxr(blog)

    assert (again.comments_added, again.comments_updated) == (0, 0)
    assert (await blog.store.comments_by_entry_id(blog.site.id, [AOIFE])) == {}
    assert [(title, r) for _, title, r in again.skipped if r.endswith(DELETED_IN_SYNDIC)] == [
        ("First frost & what survived", f"comment 11: {DELETED_IN_SYNDIC}")]
    assert (await comment(blog, MARTA_REPLY)).parent_id is None  # as the delete left it
    assert await blog.store.dirty_feeds() == {} and await blog.versions() == versions
    # The reply, never touched in syndic, follows the export; it still answers the post.
    third = await import_wxr(blog, changed_export((MARTA_TEXT, b"Straw, then fleece.")))
    assert (third.comments_added, third.comments_updated) == (0, 1)
    updated = await comment(blog, MARTA_REPLY)
    assert (updated.content_html, updated.parent_id) == ("<p>Straw, then fleece.</p>", None)


async def test_a_post_edited_in_syndic_keeps_its_edit_and_still_takes_new_comments(
    blog: Blog,
) -> None:
    first = await import_wxr(blog)
    frost = await blog.store.get_post(blog.site.id, FROST)
    draft = PostDraft(title="First frost (edited in syndic)", content_html=frost.content_html,
                      published=frost.published, slug=frost.slug, labels=frost.labels,
                      authors=frost.authors, summary=frost.summary)
    await blog.publisher.update_post(blog.site, frost, draft, blog.clock.now())
    versions = await settled(blog)

    again = await import_wxr(blog)

    assert (again.posts_added, again.posts_updated) == (0, 0)
    assert again.posts_unchanged == first.posts_added - 1
    assert again.comments_unchanged == first.comments_added  # its comments are still its
    before = {(title, r) for _, title, r in first.skipped}
    new_skips = [(title, r) for _, title, r in again.skipped if (title, r) not in before]
    assert new_skips == [("First frost & what survived", CHANGED_IN_SYNDIC)]
    assert await blog.store.dirty_feeds() == {} and await blog.versions() == versions

    # The export changed that post, another post, and has a new comment on the edited one.
    third = await import_wxr(blog, changed_export(
        (b"First frost &amp; what survived]]", b"First frost, revised]]"),
        (b"Sourdough, week 12]]", b"Sourdough, week twelve]]"),
        (b"<wp:comment>\n\t\t\t<wp:comment_id>11</wp:comment_id>", NEW_COMMENT),
    ))
    assert (third.posts_updated, third.comments_added) == (1, 1)
    titles = {p.entry_id: p.title for p in await blog.store.list_posts(blog.site.id)}
    assert titles[FROST] == "First frost (edited in syndic)"
    assert titles[SOURDOUGH] == "Sourdough, week twelve"
    await blog.regenerate()
    feed = await blog.atom(f"/feeds/{frost.id}/comments/default")
    assert f"{FROST}#comment-20" in entry_ids(feed)
    site_feed = {e.findtext(f"{ATOM}id"): e for e in entries(await blog.atom(
        "/feeds/posts/default"))}
    assert site_feed[FROST].findtext(f"{ATOM}title") == "First frost (edited in syndic)"


async def test_items_stored_before_import_records_posts_follow_the_export_comments_stay(
    blog: Blog,
) -> None:
    # Rows stored before revision 0005 have no import record: nobody can tell whether they
    # were changed in syndic. Posts are updated as before (sources rely on it); a comment
    # keeps syndic's version (its moderation may be syndic's).
    first = await import_wxr(blog)
    async with blog.store.engine.begin() as conn:
        for table in (t.posts, t.comments):
            await conn.execute(update(table).values(import_digest=None))
    versions = await settled(blog)
    unchanged = await import_wxr(blog)
    assert (unchanged.posts_unchanged, unchanged.comments_unchanged) == (
        first.posts_added, first.comments_added)
    assert unchanged.skipped == first.skipped and await blog.versions() == versions

    again = await import_wxr(blog, changed_export(
        (b"Sourdough, week 12]]", b"Sourdough, week twelve]]"),
        (AOIFE_TEXT, b"Lost every dahlia."),
    ))

    assert (again.posts_updated, again.comments_updated) == (1, 0)
    assert (await blog.store.get_post(blog.site.id, SOURDOUGH)).title == "Sourdough, week twelve"
    assert (await comment(blog, AOIFE)).content_html.startswith("<p>Lost all my dahlias")
    assert f"comment 11: {NO_IMPORT_RECORD}" in [r for _, _, r in again.skipped]


async def test_a_scheduled_post_that_came_due_is_still_as_imported(blog: Blog) -> None:
    await import_wxr(blog)
    blog.clock.set(datetime(2031, 1, 2, tzinfo=UTC))
    [due] = await blog.store.publish_due(blog.clock.now(), lambda post: ())
    assert (due.entry_id, due.status) == (PLAN, PostStatus.PUBLISHED)

    again = await import_wxr(blog, changed_export(
        (b"Planting plan for 2031]]", b"Planting plan for 2031, final]]")))

    assert again.posts_updated == 1
    assert CHANGED_IN_SYNDIC not in [r for _, _, r in again.skipped]
    assert (await blog.store.get_post(blog.site.id, PLAN)).title == "Planting plan for 2031, final"


async def test_the_comments_of_a_post_deleted_in_syndic_say_so_naming_themselves_and_the_post(
    blog: Blog,
) -> None:
    """Not "its post was not imported": it was, and was deleted here since."""
    await import_wxr(blog)
    frost = await blog.store.get_post(blog.site.id, FROST)
    await blog.publisher.delete_post(blog.site, frost, blog.clock.now())

    again = await import_wxr(blog)

    gone = [(title, reason) for _, title, reason in again.skipped
            if title == "First frost & what survived"]
    # Those the parser skipped itself (spam, say, or a type not a reader's) are not here.
    gone_too = ("its post was deleted in syndic: an import does not bring it back")
    assert gone == [("First frost & what survived", DELETED_IN_SYNDIC)] + [
        ("First frost & what survived", f"comment {n}: {gone_too}") for n in COMMENTS]
