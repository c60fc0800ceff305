"""Imports end to end on both engines: each fixture export is stored (server.importing
run_import, as `syndic import` does it), rendered once by the real Publisher, and the feeds
show what the export held. A second import changes nothing, a post deleted in syndic stays
deleted, one bad item is reported while the rest are stored, a malformed file fails the run
keeping what came before, and a large import renders each feed once, after it."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bench.wxr_gen import write_wxr
from feeds.content import clean_text, sanitize_html
from feeds.feedset import FeedContext, atom_id
from feeds.imports.apply import BATCH, Importer
from feeds.imports.items import ImportedPost, ImportFormatError, ImportItem
from feeds.models import FeedMode, PostDraft, PostStatus
from feeds.publishing import Publisher
from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import SiteSpec
from server.importing import ImportSource, file_source, items_of, run_import
from server.jobs import IMPORT_HOLD
from tests.atom_rules import assert_atom_valid
from tests.feeds.imports.conftest import ATOM, EXPORTS, FIXTURES, Blog, entries, entry_ids

BLOG = "tag:blogger.com,1999:blog-7001234567890123456"
MOMO, FOG, PODCAST = (f"{BLOG}.post-441122334455667700{n}" for n in (1, 2, 3))
ANH, ZOE_REPLY, SPAM, PENDING = (f"{BLOG}.post-663344556677889900{n}" for n in (1, 2, 5, 6))
HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:blogger='http://schemas.google.com/blogger/2018'>\n")


def exported(kind: str, data: bytes) -> list[ImportItem]:
    """What the parser reads from an export (stopping where a malformed one breaks)."""
    got: list[ImportItem] = []
    source = file_source(kind, data, "export")  # type: ignore[arg-type]
    with contextlib.suppress(ImportFormatError):
        got.extend(items_of(source, ZoneInfo("Asia/Kathmandu")))
    return got


def visible(items: list[ImportItem], now: datetime) -> dict[str, ImportedPost]:
    """The posts a reader sees: published or scheduled, and due (a date in the future waits)."""
    return {i.entry_id: i for i in items if isinstance(i, ImportedPost)
            and i.status in (PostStatus.PUBLISHED, PostStatus.SCHEDULED)
            and (i.published or now) <= now}


def takeout_post(n: int, title: str, path: str, published: str, *, labels: tuple[str, ...] = (),
                 content: str = "&lt;p&gt;Words.&lt;/p&gt;", post_id: int | None = None) -> str:
    terms = "".join(f"<category term='{lb}'/>" for lb in labels)
    return (f"<entry><id>{BLOG}.post-{post_id or 900 + n}</id><blogger:type>POST</blogger:type>"
            f"<blogger:status>LIVE</blogger:status><title>{title}</title>"
            f"<content type='html'>{content}</content><published>{published}</published>"
            f"{terms}<blogger:filename>{path}</blogger:filename></entry>\n")


def alternate(entry: Any) -> str:
    return next(str(link.get("href")) for link in entry.iter(f"{ATOM}link")
                if link.get("rel", "alternate") == "alternate")


@pytest.mark.parametrize("export", list(EXPORTS))
async def test_an_import_renders_feeds_that_show_the_exports_posts(blog: Blog, export: str) -> None:
    kind, name = EXPORTS[export]
    exported_items = visible(exported(kind, (FIXTURES / name).read_bytes()), blog.clock.now())
    await blog.import_fixture(export)
    await blog.regenerate()
    # Ids kept; one that is not an IRI (an RSS guid, a JSON Feed id) is written as a tag: IRI
    # in Atom (RFC 4287 §4.2.6), the same one at every render.
    expected = {atom_id(blog.site, i) or i: item for i, item in exported_items.items()}

    feed = await blog.atom("/feeds/posts/default")
    got = {e.findtext(f"{ATOM}id"): e for e in entries(feed)}
    assert expected and set(got) == set(expected)
    for entry_id, item in expected.items():
        entry = got[entry_id]
        assert entry.findtext(f"{ATOM}title") == clean_text(item.title)
        published = datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
        assert published == (item.published or blog.clock.now())
        assert tuple(c.get("term") for c in entry.iter(f"{ATOM}category")) == item.labels
        # The content is the export's, sanitized and made absolute against the post's URL.
        assert entry.findtext(f"{ATOM}content") == sanitize_html(item.content_html,
                                                                  alternate(entry))
    for label in {lb for item in expected.values() for lb in item.labels}:
        label_feed = await blog.atom(f"/feeds/posts/default/-/{quote(label, safe='')}")
        assert set(entry_ids(label_feed)) == {i for i, p in expected.items() if label in p.labels}


# The fixture's own values (wordpress/export-1.2.xml), written out here rather than taken
# from the parser: a parser that read a date or a comment wrongly must fail this test.
WXR = "https://ledger.example.org/?p="
WXR_DATES = {  # entry id: (post_date_gmt, post_modified_gmt)
    f"{WXR}101": (datetime(2023, 11, 14, 3, 20, tzinfo=UTC),
                  datetime(2023, 11, 15, 4, 15, tzinfo=UTC)),
    f"{WXR}102": (datetime(2024, 1, 20, 18, 0, tzinfo=UTC),
                  datetime(2024, 1, 20, 18, 0, tzinfo=UTC)),
    f"{WXR}103": (datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
                  datetime(2024, 4, 1, 1, 30, tzinfo=UTC)),
}
WXR_COMMENTS = {  # entry id: (post, author, email, uri, content, published, status, parent)
    f"{WXR}101#comment-11": (101, "Aoife Byrne", "aoife@example.net", "https://aoife.example.net",
                             "<p>Lost all my dahlias too.<br>\nNext year: straw.</p>",
                             datetime(2023, 11, 14, 8, 0, tzinfo=UTC), "approved", None),
    f"{WXR}101#comment-12": (101, "Marta Quiñones", "marta@ledger.example.org",
                             "https://ledger.example.org", "<p>Straw <em>and</em> fleece, both!</p>",
                             datetime(2023, 11, 14, 8, 17, tzinfo=UTC), "approved", "11"),
    f"{WXR}101#comment-13": (101, "Dev", "dev@example.com", None,
                             "<p>Is this earlier than in 2019?</p>",
                             datetime(2023, 11, 16, 0, 15, tzinfo=UTC), "pending", None),
    f"{WXR}101#comment-14": (101, "Best Seeds Online", "sales@seeds.example",
                             "http://seeds.example/cheap",
                             '<p>Cheap seeds!!! <a href="http://seeds.example/cheap">click</a></p>',
                             datetime(2023, 11, 16, 20, 15, tzinfo=UTC), "spam", None),
    f"{WXR}101#comment-15": (101, "Kitchen Garden Weekly", None,
                             "https://kgw.example.com/2023/11/links/",
                             "<p>[…] The Allotment Ledger on the first frost […]</p>",
                             datetime(2023, 11, 18, 5, 15, tzinfo=UTC), "approved", None),
    f"{WXR}103#comment-19": (103, "田中 健二", "kenji@example.jp", None,
                             "<p>Try a little rice flour in the levain.</p>",
                             datetime(2024, 3, 31, 3, 15, tzinfo=UTC), "approved", None),
}


async def test_a_wordpress_import_keeps_the_exports_own_dates_and_comments(blog: Blog) -> None:
    report = await blog.import_fixture("wxr-1.2")
    await blog.regenerate()

    feed = await blog.atom("/feeds/posts/default")
    got = {e.findtext(f"{ATOM}id"): e for e in entries(feed)}
    assert set(got) == set(WXR_DATES)
    for entry_id, (published, updated) in WXR_DATES.items():
        entry = got[entry_id]
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}published")) == published
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == updated
    posts = await blog.store.posts_by_entry_id(blog.site.id, list(WXR_DATES))
    assert {i: (p.published, p.updated) for i, p in posts.items()} == WXR_DATES

    assert report.comments_added == len(WXR_COMMENTS)
    _, comments = await blog.store.page_comments(blog.site.id, 50, 0)
    by_id = {c.id: c for c in comments}
    post_ids = {p.id: int(i.rpartition("=")[2]) for i, p in posts.items()}
    stored = {c.entry_id: (
        post_ids[c.post_id], c.author.name, c.author.email, c.author.uri, c.content_html,
        c.published, c.status.value,
        by_id[c.parent_id].entry_id.rpartition("-")[2] if c.parent_id else None,
    ) for c in comments}
    assert stored == WXR_COMMENTS
    # The comment feed of the frost post shows the approved three, each as exported.
    frost = await blog.atom(f"/feeds/{posts[f'{WXR}101'].id}/comments/default")
    shown = {e.findtext(f"{ATOM}id"): e for e in entries(frost)}
    assert set(shown) == {f"{WXR}101#comment-{n}" for n in (11, 12, 15)}
    for entry_id, entry in shown.items():
        _, author, *_, published, _, _ = WXR_COMMENTS[entry_id]
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == author
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}published")) == published


@pytest.mark.parametrize("export", list(EXPORTS))
async def test_every_feed_rendered_after_an_import_is_valid_atom(blog: Blog, export: str) -> None:
    await blog.import_fixture(export)
    await blog.regenerate()

    bodies = await blog.atom_bytes()
    assert bodies
    for body in bodies:
        assert_atom_valid(body)


@pytest.mark.parametrize("export", ["blogger-takeout", "blogger-legacy"])
async def test_bloggers_post_id_serves_its_comment_feed_with_approved_comments_only(
    blog: Blog, export: str,
) -> None:
    await blog.import_fixture(export)
    await blog.regenerate()

    momo = await blog.store.get_post(blog.site.id, "4411223344556677001")
    assert (momo.id, momo.entry_id) == (4411223344556677001, MOMO)
    comments = await blog.atom("/feeds/4411223344556677001/comments/default")
    assert sorted(entry_ids(comments)) == [ANH, ZOE_REPLY]  # not the spam one
    podcast = await blog.atom("/feeds/4411223344556677003/comments/default")
    assert podcast is None or entry_ids(podcast) == []  # its one comment is pending
    everything = entry_ids(await blog.atom("/feeds/comments/default"))
    assert ANH in everything and SPAM not in everything and PENDING not in everything
    stored = await blog.store.comments_by_entry_id(blog.site.id, [ANH, ZOE_REPLY])
    reply = await blog.store.get_comment(blog.site.id, stored[ZOE_REPLY].id)
    assert reply.parent_id == stored[ANH].id and reply.post_id == momo.id


async def test_the_same_blogger_export_in_a_second_site_says_which_post_ids_it_got(
    blog: Blog,
) -> None:
    await blog.import_fixture("blogger-takeout")
    spec = SiteSpec(host="copy.test", title="Copy", subtitle="", base_url="http://copy.test",
                    timezone="UTC", language="en", default_feed=FeedMode.FULL,
                    summary_length=200)
    second = Blog(blog.store, await blog.store.create_site(spec, blog.clock.now()),
                  blog.publisher, blog.clock)
    report = await second.import_fixture("blogger-takeout")

    # Post ids are one series for all sites: the second site's posts get new ones, and the
    # report says where each one's comment feed now is.
    momo = await blog.store.get_post(second.site.id, MOMO, by_id=False)
    assert momo.id != 4411223344556677001
    notes = {title: note for _, title, note in report.notes}
    assert notes[momo.title] == (
        f"post id 4411223344556677001 belongs to another post already: this post's id is"
        f" {momo.id}, its comment feed /feeds/{momo.id}/comments/default"
    )
    await second.regenerate()
    comments = await second.atom(f"/feeds/{momo.id}/comments/default")
    assert len(entry_ids(comments)) == 2


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
    assert reasons == ["deleted in syndic: an import does not bring it back"]
    assert (await blog.store.get_post(blog.site.id, ref)).status is PostStatus.DELETED
    assert await blog.store.dirty_feeds() == {}
    assert gone.entry_id not in entry_ids(await blog.atom("/feeds/posts/default"))


async def test_one_bad_item_is_reported_and_the_others_are_stored(blog: Blog) -> None:
    long_label = "x" * 201
    export = HEAD + "".join([
        takeout_post(1, "Good one", "/2023/01/good-one.html", "2023-01-05T10:00:00Z"),
        takeout_post(2, "Too long a label", "/2023/02/long.html", "2023-02-05T10:00:00Z",
                     labels=("fine", long_label)),
        takeout_post(3, "Good two", "/2023/03/good-two.html", "2023-03-05T10:00:00Z",
                     labels=("fine",)),
        # The same entry again (a hand-edited export): its id and slug are stored already.
        takeout_post(4, "Good one, twice", "/2023/01/good-one.html", "2023-04-05T10:00:00Z",
                     post_id=901),
        takeout_post(5, "Good three", "/2023/05/good-three.html", "2023-05-05T10:00:00Z"),
    ]) + "</feed>"

    report = await blog.import_bytes("blogger", export.encode())

    stored = {p.title for p in await blog.store.list_posts(blog.site.id)}
    assert stored == {"Good one", "Good two", "Good three"}
    assert report.posts_added == 3
    skipped = {title: reason for _, title, reason in report.skipped}
    assert set(skipped) == {"Too long a label", "Good one, twice"}
    assert "labels[1]" in skipped["Too long a label"] and "200" in skipped["Too long a label"]
    assert skipped["Good one, twice"].startswith("not stored:")


def wxr_export(*items: str) -> bytes:
    """A small WordPress export around the given <item>s."""
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<rss version='2.0' "
            "xmlns:content='http://purl.org/rss/1.0/modules/content/' "
            "xmlns:dc='http://purl.org/dc/elements/1.1/' "
            "xmlns:wp='http://wordpress.org/export/1.2/'>\n<channel><title>T</title>\n"
            + "".join(items) + "</channel></rss>").encode()


def wxr_post(n: int, title: str, gmt: str, *, modified: str = "", comments: str = "") -> str:
    updated = f"<wp:post_modified_gmt>{modified}</wp:post_modified_gmt>" if modified else ""
    return (f"<item><title>{title}</title><guid isPermaLink='false'>https://old.example/?p={n}"
            f"</guid><content:encoded><![CDATA[<p>{title}.</p>]]></content:encoded>"
            f"<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>{gmt}</wp:post_date_gmt>{updated}"
            f"<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>"
            f"<wp:post_type>post</wp:post_type>{comments}</item>\n")


def wxr_comment(n: int, author: str, text: str, gmt: str = "2023-06-01 10:00:00") -> str:
    return (f"<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>{author}"
            f"</wp:comment_author><wp:comment_date_gmt>{gmt}</wp:comment_date_gmt>"
            f"<wp:comment_content><![CDATA[{text}]]></wp:comment_content>"
            "<wp:comment_approved>1</wp:comment_approved></wp:comment>")


@pytest.mark.parametrize("workers", [0, 2])
async def test_one_bad_item_a_post_dated_year_1_in_new_york_is_reported_and_the_others_are_stored(
    blog: Blog, workers: int,
) -> None:
    # 0001-01-01 UTC is year 0 in New York: preparing it (its URL) overflowed and took its
    # batch, the good posts included, with it. Five posts: the pool prepares them (two each).
    blog.site = await blog.store.update_site(blog.site.id, {"timezone": "America/New_York"})
    export = wxr_export(
        wxr_post(1, "Good one", "2023-01-05 10:00:00"),
        wxr_post(2, "Year one", "0001-01-01 00:00:00"),
        wxr_post(3, "Good two", "2023-03-05 10:00:00"),
        wxr_post(4, "Updated past the end", "2023-04-05 10:00:00",
                 modified="9999-12-31 23:59:59"),
        wxr_post(5, "Good three", "2023-05-05 10:00:00"),
        wxr_post(6, "Good four", "2023-06-05 10:00:00"),
    )
    source = file_source("wordpress", export, "export.xml")

    _, report = await run_import(blog.store, blog.site, blog.publisher.ctx, source,
                                 blog.clock.now, workers=workers)

    stored = {p.title for p in await blog.store.list_posts(blog.site.id)}
    assert stored == {"Good one", "Good two", "Good three", "Good four"}
    assert report.posts_added == 4
    skipped = {title: reason for _, title, reason in report.skipped}
    assert set(skipped) == {"Year one", "Updated past the end"}
    assert skipped["Year one"].startswith("published: date out of range")
    assert skipped["Updated past the end"].startswith("updated: date out of range")
    await blog.regenerate()
    assert len(entries(await blog.atom("/feeds/posts/default"))) == 4


async def test_one_bad_item_the_same_comment_twice_in_a_batch_is_reported_and_the_others_are_stored(
    blog: Blog,
) -> None:
    # The same comment twice (a hand-merged export) was one entry id twice in one INSERT:
    # the batch failed, and with it the import (a 500 through POST /api/imports).
    twice = wxr_comment(11, "Aoife", "First!")
    export = wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments="".join([
        twice, wxr_comment(12, "Marta", "Straw."), twice,
        wxr_comment(13, "Dev", "From the year one?", gmt="0001-01-01 00:00:00"),
        wxr_comment(14, "Kofi", "Fleece."),
    ])))

    report = await blog.import_bytes("wordpress", export)

    assert (report.posts_added, report.comments_added) == (1, 3)
    reasons = [reason for _, _, reason in report.skipped]
    assert reasons == ["the same comment again (https://old.example/?p=1#comment-11)",
                       "published: date out of range: 0001-01-01T00:00:00+00:00 (years 2 to 9998)"]
    _, comments = await blog.store.page_comments(blog.site.id, 10, 0)
    assert sorted(c.author.name for c in comments) == ["Aoife", "Kofi", "Marta"]
    again = await blog.import_bytes("wordpress", export)
    assert (again.comments_added, again.comments_unchanged) == (0, 3)
    assert again.skipped == report.skipped


REFUSE_SQLITE = ("CREATE TRIGGER refuse_comment BEFORE INSERT ON comments "
                 "WHEN NEW.author_name = 'Refused' BEGIN SELECT RAISE(ABORT, 'refused'); END")
REFUSE_PG = ("CREATE FUNCTION refuse_comment() RETURNS trigger AS $$ BEGIN "
             "IF NEW.author_name = 'Refused' THEN RAISE EXCEPTION 'refused'; END IF; "
             "RETURN NEW; END $$ LANGUAGE plpgsql",
             "CREATE TRIGGER refuse_comment BEFORE INSERT ON comments FOR EACH ROW "
             "EXECUTE FUNCTION refuse_comment()")


async def test_one_bad_item_a_comment_the_database_refuses_is_reported_and_the_others_are_stored(
    blog: Blog,
) -> None:
    # Whatever the database refuses (here a trigger, on either engine) fails the batch of
    # comments; they are written again one by one, as posts are.
    sqlite = blog.store.engine.dialect.name == "sqlite"
    async with blog.store.engine.begin() as conn:
        for statement in (REFUSE_SQLITE,) if sqlite else REFUSE_PG:
            await conn.execute(text(statement))
    export = wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments="".join([
        wxr_comment(11, "Aoife", "First!"), wxr_comment(12, "Refused", "Spam."),
        wxr_comment(13, "Kofi", "Fleece."),
    ])))

    report = await blog.import_bytes("wordpress", export)

    assert (report.posts_added, report.comments_added) == (1, 2)
    [(_, _, reason)] = report.skipped
    assert reason.startswith("not stored:") and "refused" in reason
    _, comments = await blog.store.page_comments(blog.site.id, 10, 0)
    assert sorted(c.author.name for c in comments) == ["Aoife", "Kofi"]


async def test_two_posts_with_one_slug_in_different_months_both_import(blog: Blog) -> None:
    now = blog.clock.now()
    for title, slug in (("Soup", "soup"), ("Soup again", "soup-2")):  # stored before
        await blog.publisher.add_post(blog.site, _draft(title, slug, now), now)
    export = HEAD + "".join([
        takeout_post(1, "Leeks in September", "/2023/09/leeks.html", "2023-09-01T10:00:00Z",
                     content="&lt;p&gt;Blanch.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;"),
        takeout_post(2, "Leeks in October", "/2023/10/leeks.html", "2023-10-01T10:00:00Z"),
        takeout_post(3, "Soup in November", "/2023/11/soup.html", "2023-11-01T10:00:00Z"),
    ]) + "</feed>"

    report = await blog.import_bytes("blogger", export.encode())
    await blog.regenerate()

    assert report.posts_added == 3 and report.skipped == []
    slugs = {p.title: p.slug for p in await blog.store.list_posts(blog.site.id)}
    assert slugs["Leeks in September"] == "leeks"
    assert slugs["Leeks in October"] == "leeks-2"
    assert slugs["Soup in November"] == "soup-3"
    feed = await blog.atom("/feeds/posts/default")
    titles = [e.findtext(f"{ATOM}title") for e in entries(feed)]
    assert {"Leeks in September", "Leeks in October", "Soup in November"} <= set(titles)
    september = next(e for e in entries(feed)
                     if e.findtext(f"{ATOM}title") == "Leeks in September")
    assert "script" not in (september.findtext(f"{ATOM}content") or "")


def _draft(title: str, slug: str, now: datetime) -> PostDraft:
    return PostDraft(title=title, content_html="<p>Broth.</p>", published=now, slug=slug)


@pytest.mark.parametrize(("kind", "name", "line"), [
    ("wordpress", "wordpress/malformed.xml", "line 28"),
    ("blogger", "blogger/malformed.atom", "line 28"),
])
async def test_a_malformed_export_fails_the_run_keeping_the_items_before_the_bad_part(
    blog: Blog, kind: str, name: str, line: str,
) -> None:
    data = (FIXTURES / name).read_bytes()
    before = visible(exported(kind, data), blog.clock.now())

    with pytest.raises(ImportFormatError) as caught:
        await blog.import_bytes(kind, data, name)  # type: ignore[arg-type]

    assert caught.value.where == line
    run = (await blog.store.import_runs(blog.site.id))[0]
    assert run.state == "failed" and run.finished is not None
    assert run.report["error"].startswith(f"{line}:")
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == frozenset()
    stored = {p.entry_id: p for p in await blog.store.list_posts(blog.site.id)}
    assert before and set(stored) == set(before)
    await blog.regenerate()
    feed = await blog.atom("/feeds/posts/default")
    for entry in entries(feed):
        item = before[entry.findtext(f"{ATOM}id")]
        assert entry.findtext(f"{ATOM}title") == clean_text(item.title)
        assert entry.findtext(f"{ATOM}content") == sanitize_html(item.content_html,
                                                                  alternate(entry))
    assert len(entries(feed)) == len(before)


async def test_a_run_whose_heartbeat_stopped_holds_its_site_no_longer(blog: Blog) -> None:
    run = await blog.store.start_import(blog.site.id, "wordpress:x", blog.clock.now())
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == {blog.site.id}
    blog.clock.advance(seconds=IMPORT_HOLD.total_seconds() + 1)  # the importer died
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == frozenset()
    await blog.store.import_heartbeat(run.id, {}, blog.clock.now())
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == {blog.site.id}


# -- a large export: more than one batch ------------------------------------------------


@pytest.fixture(scope="session")
def large_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wxr") / "large.xml"
    write_wxr(path, 1200)
    return path


class Watched(io.RawIOBase):
    """The export file, calling `probe` (once) when the parser has read past `at` bytes."""

    def __init__(self, path: Path, at: int, probe: Callable[[], None]) -> None:
        self.file, self.at, self.probe, self.read_so_far = path.open("rb"), at, probe, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.file.read(len(buffer))
        buffer[: len(data)] = data
        before, self.read_so_far = self.read_so_far, self.read_so_far + len(data)
        if before < self.at <= self.read_so_far:
            self.probe()
        return len(data)

    def close(self) -> None:
        self.file.close()
        super().close()


async def test_a_large_import_holds_the_site_and_its_feeds_render_once_after_it(
    blog: Blog, large_export: Path,
) -> None:
    # Short feeds (two entries): the story is how often each feed renders, not how long.
    blog.publisher = Publisher(blog.store, InlineRenderer(FeedRenderer(10**7)),
                               FeedContext(default_max=2, hub_url=None), 500)
    loop, seen = asyncio.get_running_loop(), dict[str, Any]()

    async def look() -> None:
        """Part-way through: what the regeneration job would find now. (The parser runs
        two batches ahead of the writes: wait for the first batch to be stored.)"""
        for _ in range(500):
            if await blog.store.list_posts(blog.site.id):
                break
            await asyncio.sleep(0.02)
        now = blog.clock.now()
        seen["state"] = (await blog.store.import_runs(blog.site.id))[0].state
        seen["held"] = held = await blog.store.held_sites(now, IMPORT_HOLD)
        seen["dirty"] = await blog.store.dirty_feeds()
        seen["dirty_unheld"] = await blog.store.dirty_feeds(held)
        seen["stored"] = len(await blog.store.list_posts(blog.site.id))
        seen["rendered"] = (await blog.publisher.regenerate_dirty(blog.sites, now, held=held)
                            ).rendered_keys

    def probe() -> None:  # the parser runs in a worker thread: ask the event loop
        asyncio.run_coroutine_threadsafe(look(), loop).result(timeout=60)

    stream = Watched(large_export, large_export.stat().st_size * 3 // 4, probe)
    with io.BufferedReader(stream) as buffered:
        report = await blog.run(ImportSource("wordpress", "large.xml", stream=buffered))

    assert report.posts_added == 1188 and report.items > 3 * BATCH  # 12 pages skipped
    assert seen["state"] == "running" and seen["held"] == {blog.site.id}
    assert 0 < seen["stored"] < 1188 and blog.site.id in seen["dirty"]
    assert seen["dirty_unheld"] == {} and seen["rendered"] == 0
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == frozenset()

    keys = (await blog.store.dirty_feeds())[blog.site.id][1]
    assert await blog.dirty_rows() == len(keys)  # each feed marked once, not once per batch
    result = await blog.regenerate()
    assert result.rendered_keys == len(keys)
    assert blog.publisher.documents_rendered == 3 * (len(keys) - len(result.dropped))
    assert await blog.store.dirty_feeds() == {}

    with large_export.open("rb") as again:
        second = await blog.run(ImportSource("wordpress", "large.xml", stream=again))
    assert (second.posts_added, second.posts_updated, second.posts_unchanged) == (0, 0, 1188)
    assert (second.comments_added, second.comments_updated) == (0, 0)
    assert await blog.dirty_rows() == 0


@pytest.mark.parametrize("export", ["wxr-1.2", "blogger-takeout"])
async def test_posts_prepared_in_worker_processes_are_the_posts_prepared_here(
    blog: Blog, export: str,
) -> None:
    kind, name = EXPORTS[export]
    source = file_source(kind, (FIXTURES / name).read_bytes(), name)
    _, first = await run_import(blog.store, blog.site, blog.publisher.ctx, source,
                                blog.clock.now, workers=2)
    assert first.posts_added > 4  # enough for the pool to be used (two per worker)
    again = await blog.import_fixture(export)  # prepared in this process
    assert (again.posts_added, again.posts_updated) == (0, 0)
    assert again.posts_unchanged == first.posts_added
    assert again.skipped == first.skipped


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


async def test_a_comment_on_a_post_trashed_on_blogger_is_reported_as_such(blog: Blog) -> None:
    """Not "its post is not in the export": the post is there, in the trash, skipped."""
    trashed = takeout_post(1, "Oops", "/2015/01/oops.html", "2015-01-01T00:00:00Z").replace(
        "<blogger:status>LIVE", "<blogger:status>SOFT_TRASHED")
    comment = (f"<entry><id>{BLOG}.post-7001</id><blogger:type>COMMENT</blogger:type>"
               "<blogger:status>LIVE</blogger:status><content type='html'>Nice</content>"
               f"<blogger:parent>{BLOG}.post-901</blogger:parent></entry>\n")
    orphan = comment.replace("post-7001", "post-7002").replace("post-901<", "post-999<")

    report = await blog.import_bytes("blogger", (HEAD + trashed + comment + orphan
                                                 + "</feed>").encode())

    assert [(where.split(" (")[0], reason) for where, _, reason in report.skipped] == [
        ("entry 1", "trashed or deleted on Blogger (SOFT_TRASHED)"),
        ("entry 2", "its post was not imported"),
        ("entry 3", "its post is not in the export"),
    ]


async def _comment_ids(blog: Blog) -> list[str]:
    async with blog.store.engine.connect() as conn:
        return [r[0] for r in await conn.execute(text("SELECT entry_id FROM comments"))]


@pytest.mark.parametrize("workers", [0, 2])
async def test_an_entry_twice_in_an_export_a_batch_apart_is_stored_then_updated(
    blog: Blog, workers: int,
) -> None:
    # Batches of one post: the second copy is looked up while the first is still being
    # written (the importer prepares a batch while it writes the one before).
    def item(guid: str, title: str, day: int) -> str:
        return (f"<item><guid isPermaLink='false'>{guid}</guid><title>{title}</title>"
                f"<description>&lt;p&gt;{title}&lt;/p&gt;</description>"
                f"<pubDate>Mon, 0{day} Jul 2024 10:00:00 +0000</pubDate></item>")
    rss = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
           "<link>https://old.example/</link><description>d</description>"
           + item("same-guid", "First version", 1) + item("same-guid", "Second version", 1)
           + item("other", "Other", 2) + "</channel></rss>").encode()
    importer = Importer(blog.store, blog.site, blog.publisher.ctx, blog.clock.now(), batch=1,
                        workers=workers)
    report = await importer.run(items_of(file_source("feed", rss, "feed.xml"),
                                         ZoneInfo("UTC")))
    assert (report.posts_added, report.posts_updated, report.skipped) == (2, 1, [])
    posts = await blog.store.posts_by_entry_id(blog.site.id, ["same-guid"])
    assert posts["same-guid"].title == "Second version"
