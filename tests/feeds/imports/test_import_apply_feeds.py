"""Imports end to end on both engines, what the feeds show: each fixture export is stored
(server.importing run_import, as `syndic import` does it), rendered once by the real
Publisher, and the feeds show what the export held: its posts, dates, labels and comments, as
valid Atom, Blogger's post ids serving their comment feeds, and two posts of one slug both
kept."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from feeds.content import clean_text, sanitize_html
from feeds.feedset import atom_id
from feeds.models import FeedMode, PostDraft
from feeds.store import SiteSpec
from tests.atom_rules import assert_atom_valid
from tests.feeds.imports.conftest import ATOM, EXPORTS, FIXTURES, Blog, entries, entry_ids
from tests.feeds.imports.exports import BLOG, HEAD, alternate, exported, takeout_post, visible

MOMO, FOG, PODCAST = (f"{BLOG}.post-441122334455667700{n}" for n in (1, 2, 3))
ANH, ZOE_REPLY, SPAM, PENDING = (f"{BLOG}.post-663344556677889900{n}" for n in (1, 2, 5, 6))


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

