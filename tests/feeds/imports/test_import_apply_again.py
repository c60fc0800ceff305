"""Imports end to end on both engines, importing the same export again: nothing changes, a post
deleted in syndic stays deleted, and comments changed in the export are updated."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from feeds.models import PostStatus
from tests.feeds.imports.conftest import EXPORTS, FIXTURES, Blog, entry_ids


@pytest.mark.parametrize("export", list(EXPORTS))
async def test_importing_the_same_export_again_changes_nothing(blog: Blog, export: str) -> None:
    first = await blog.import_fixture(export)
    await blog.regenerate()
    assert await blog.dirty_rows() == 0
    versions, rendered = await blog.versions(), await blog.rendered_at()
    documents = blog.publisher.documents_rendered

    again = await blog.import_fixture(export)

    assert (again.posts_added, again.posts_updated) == (0, 0)
    assert again.posts_unchanged == first.posts_added
    assert (again.comments_added, again.comments_updated) == (0, 0)
    assert again.comments_unchanged == first.comments_added
    assert again.skipped == first.skipped
    assert await blog.dirty_rows() == 0 and await blog.store.dirty_feeds() == {}
    assert await blog.versions() == versions
    assert (await blog.regenerate()).rendered_keys == 0
    assert blog.publisher.documents_rendered == documents
    assert await blog.rendered_at() == rendered


@pytest.mark.parametrize(("export", "ref", "title"), [
    ("wxr-1.2", "first-frost", "First frost & what survived"),
    ("blogger-takeout", "4411223344556677001", "Momo: the art of folding — Café tips"),
])
async def test_a_post_deleted_in_syndic_stays_deleted_after_another_import(
    blog: Blog, export: str, ref: str, title: str,
) -> None:
    await blog.import_fixture(export)
    gone = await blog.publisher.delete_post(
        blog.site, await blog.store.get_post(blog.site.id, ref), blog.clock.now())
    await blog.regenerate()

    again = await blog.import_fixture(export)

    reasons = [reason for _, t, reason in again.skipped if t == title]
    assert reasons[0] == "deleted in syndic: an import does not bring it back"
    # Its comments, under its title: not "its post was not imported".
    assert len(reasons) > 1 and all(r.endswith(
        "its post was deleted in syndic: an import does not bring it back") for r in reasons[1:])
    assert (await blog.store.get_post(blog.site.id, ref)).status is PostStatus.DELETED
    assert await blog.store.dirty_feeds() == {}
    assert gone.entry_id not in entry_ids(await blog.atom("/feeds/posts/default"))



async def test_comments_changed_in_the_export_are_updated_by_the_next_import(
    blog: Blog,
) -> None:
    kind, name = EXPORTS["wxr-1.2"]
    data = (FIXTURES / name).read_bytes()
    first = await blog.import_bytes(kind, data, name)
    assert first.comments_added >= 2
    # The blogger fixed a typo in one comment and marked another as spam.
    changed = (data.replace(b"Straw <em>and</em> fleece, both!", b"Straw <em>and</em> fleece!")
               .replace(b"Next year: straw.]]></wp:comment_content>\n\t\t\t"
                        b"<wp:comment_approved><![CDATA[1]]>",
                        b"Next year: straw.]]></wp:comment_content>\n\t\t\t"
                        b"<wp:comment_approved><![CDATA[spam]]>"))
    assert changed.count(b"CDATA[spam]") == data.count(b"CDATA[spam]") + 1
    again = await blog.import_bytes(kind, changed, name)
    assert (again.comments_added, again.comments_updated) == (0, 2)
    assert again.comments_unchanged == first.comments_added - 2
    rows = list((await blog.store.comments_by_entry_id(
        blog.site.id, await _comment_ids(blog))).values())
    assert any(r.content_html == "<p>Straw <em>and</em> fleece!</p>" for r in rows)
    assert sum(r.status == "spam" for r in rows) == 1 + data.count(b"CDATA[spam]")


async def _comment_ids(blog: Blog) -> list[str]:
    async with blog.store.engine.connect() as conn:
        return [r[0] for r in await conn.execute(text("SELECT entry_id FROM comments"))]

