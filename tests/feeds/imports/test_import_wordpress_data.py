"""Stories of a WordPress migrant's data (QA), on both engines: what an import stores is what
the API would take and what WordPress showed. A feed import never takes over a post it did
not make (a WordPress export's drafts stay drafts); an author's javascript: address goes
nowhere; excerpts and pingback names are text, not entities; a "more" mark leaves no empty
paragraph; a draft WordPress had not dated yet is dated when it is published."""

from __future__ import annotations

import pytest

from feeds.imports.items import ImportFormatError
from feeds.models import PostDraft, PostStatus
from tests.feeds.imports.conftest import ATOM, Blog, entries
from tests.feeds.imports.exports import wxr_comment, wxr_export, wxr_post

DIARY = "http://blog.example.com/?p=162"
GMT = "2023-05-01 08:00:00"


def draft_item(post_id: int, title: str, gmt: str = "0000-00-00 00:00:00",
               local: str = "2020-07-01 09:00:00", status: str = "draft") -> str:
    return (f"<item><title>{title}</title><guid isPermaLink='false'>http://blog.example.com/"
            f"?p={post_id}</guid><content:encoded><![CDATA[<p>Dear diary.</p>]]>"
            f"</content:encoded><wp:post_id>{post_id}</wp:post_id><wp:post_date>{local}"
            f"</wp:post_date><wp:post_date_gmt>{gmt}</wp:post_date_gmt><wp:post_name>"
            f"my-private-diary</wp:post_name><wp:status>{status}</wp:status>"
            "<wp:post_type>post</wp:post_type></item>\n")


def one_item_rss(guid: str, title: str = "Dear diary, public now") -> bytes:
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Old blog</title>"
            f"<link>http://blog.example.com/</link><item><title>{title}</title>"
            f"<guid>{guid}</guid><link>http://blog.example.com/diary/</link>"
            "<description>Everyone may read this.</description>"
            "<pubDate>Mon, 01 May 2023 08:00:00 +0000</pubDate></item></channel></rss>"
            ).encode()


# --- item 1: a feed import and the posts it did not make -----------------------------------


async def test_a_wordpress_export_given_to_the_feed_importer_is_refused_naming_the_right_one(
    blog: Blog,
) -> None:
    export = wxr_export(draft_item(162, "My private diary"), wxr_post(7, "Hello", GMT))

    with pytest.raises(ImportFormatError) as refused:
        await blog.import_bytes("feed", export, "export.xml")

    assert refused.value.where == "document"
    assert "a WordPress export, not a feed" in refused.value.problem
    assert "syndic import wordpress" in refused.value.problem
    assert await blog.store.list_posts(blog.site.id) == []


async def test_a_feed_naming_a_draft_of_a_wordpress_import_leaves_it_a_draft(blog: Blog) -> None:
    await blog.import_bytes("wordpress", wxr_export(draft_item(162, "My private diary")))

    report = await blog.import_bytes("feed", one_item_rss(DIARY), "one.rss")

    diary = await blog.store.get_post(blog.site.id, DIARY)
    assert (diary.status, diary.title) == (PostStatus.DRAFT, "My private diary")
    assert (report.posts_added, report.posts_updated) == (0, 0)
    assert [r for _, _, r in report.skipped] == [
        "made by a wordpress import: a feed import does not change it"]


async def test_a_feed_leaves_a_post_made_with_the_api_as_it_is(blog: Blog) -> None:
    made = await blog.publisher.add_post(blog.site, PostDraft(
        title="Written in syndic", content_html="<p>Mine.</p>", status=PostStatus.DRAFT,
        published=blog.clock.now(), entry_id=DIARY), blog.clock.now())

    report = await blog.import_bytes("feed", one_item_rss(DIARY), "one.rss")

    kept = await blog.store.get_post(blog.site.id, DIARY)
    assert (kept.status, kept.title, kept.version) == (PostStatus.DRAFT, made.title, 1)
    assert [r for _, _, r in report.skipped] == [
        "made by syndic (the API or the command line): a feed import does not change it"]


async def test_a_feed_still_updates_the_posts_a_feed_import_made(blog: Blog) -> None:
    # [[sources]] polling: the source is authoritative for what it imported itself.
    first = await blog.import_bytes("feed", one_item_rss(DIARY, "First title"), "one.rss")
    again = await blog.import_bytes("feed", one_item_rss(DIARY, "Second title"), "one.rss")

    assert (first.posts_added, again.posts_updated, again.skipped) == (1, 1, [])
    assert (await blog.store.get_post(blog.site.id, DIARY)).title == "Second title"


# --- item 2: an author's address the API would refuse -------------------------------------


async def test_a_commenters_javascript_address_reaches_no_feed_and_is_noted(blog: Blog) -> None:
    comment = wxr_comment(6, "Mallory", "Nice post!").replace(
        "</wp:comment_author>",
        "</wp:comment_author><wp:comment_author_url>javascript:alert(1)</wp:comment_author_url>")
    kept = wxr_comment(7, "Ann", "Agreed.").replace(
        "</wp:comment_author>",
        "</wp:comment_author><wp:comment_author_url>https://ann.example/</wp:comment_author_url>")
    report = await blog.import_bytes("wordpress", wxr_export(
        wxr_post(5, "Fish", GMT, comments=comment + kept)))
    await blog.regenerate()

    post = await blog.store.get_post(blog.site.id, "https://old.example/?p=5")
    feed = await blog.atom(f"/feeds/{post.id}/comments/default")
    uris = {e.findtext(f"{ATOM}author/{ATOM}name"): e.findtext(f"{ATOM}author/{ATOM}uri")
            for e in entries(feed)}
    assert uris == {"Mallory": None, "Ann": "https://ann.example/"}
    assert [n for _, _, n in report.notes] == [
        "comment: Mallory's address 'javascript:alert(1)' left out: not an absolute http(s) URL"]


async def test_a_feed_entrys_author_with_a_data_address_keeps_the_name_only(blog: Blog) -> None:
    atom = (b"<feed xmlns='http://www.w3.org/2005/Atom'><title>F</title><id>urn:f</id>"
            b"<updated>2023-05-01T08:00:00Z</updated><entry><id>urn:e1</id><title>One</title>"
            b"<updated>2023-05-01T08:00:00Z</updated><author><name>Eve</name>"
            b"<uri>data:text/html,&lt;script&gt;</uri></author><content>Hi</content></entry>"
            b"</feed>")
    report = await blog.import_bytes("feed", atom, "f.atom")

    post = await blog.store.get_post(blog.site.id, "urn:e1")
    assert [(a.name, a.uri) for a in post.authors] == [("Eve", None)]
    assert len(report.notes) == 1 and "Eve's address 'data:" in report.notes[0][2]


# --- items 3, 4, 12: text that is text, HTML that is whole --------------------------------


async def test_an_excerpt_becomes_a_plain_text_summary(blog: Blog) -> None:
    excerpt = ("<excerpt:encoded><![CDATA[The only <em>fish &amp; chips</em> recipe "
               "you&#8217;ll need.]]></excerpt:encoded>")
    export = wxr_export(wxr_post(5, "Fish", GMT).replace("</item>", excerpt + "</item>"))
    await blog.import_bytes("wordpress", export.replace(
        b"xmlns:wp=", b"xmlns:excerpt='http://wordpress.org/export/1.2/excerpt/' xmlns:wp="))
    await blog.regenerate()

    post = await blog.store.get_post(blog.site.id, "https://old.example/?p=5")
    assert post.summary == "The only fish & chips recipe you\u2019ll need."


async def test_a_pingbacks_author_name_is_decoded_once(blog: Blog) -> None:
    comments = (wxr_comment(8, "Another Garden Blog &amp;raquo; Links for December", "Ping")
                + wxr_comment(9, "Tom &amp; Jerry &amp;amp;copy AT&amp;T", "Hi"))
    await blog.import_bytes("wordpress", wxr_export(wxr_post(5, "Fish", GMT, comments=comments)))

    stored = await blog.store.comments_by_entry_id(blog.site.id, [
        f"https://old.example/?p=5#comment-{n}" for n in (8, 9)])
    names = [(await blog.store.get_comment(blog.site.id, c.id)).author.name
             for c in stored.values()]
    assert sorted(names) == ["Another Garden Blog \u00bb Links for December",
                             "Tom & Jerry &copy AT&T"]


async def test_a_more_mark_on_its_own_line_leaves_no_empty_paragraph(blog: Blog) -> None:
    body = "<![CDATA[First part.\n\n<!--more-->\n\nSecond part.]]>"
    post = wxr_post(5, "Fish", GMT)
    start = post.index("<![CDATA[")
    await blog.import_bytes("wordpress", wxr_export(
        post[:start] + body + post[post.index("]]>", start) + 3:]))

    stored = await blog.store.get_post(blog.site.id, "https://old.example/?p=5")
    assert stored.content_html == "<p>First part.</p>\n<p>Second part.</p>"


# --- item 6: a draft WordPress had not dated ------------------------------------------------


async def test_a_draft_with_a_floating_date_comes_in_without_a_date_of_its_own(
    blog: Blog,
) -> None:
    dated = draft_item(163, "Dated draft", gmt="2020-07-01 03:15:00").replace(
        "my-private-diary", "dated")
    report = await blog.import_bytes("wordpress", wxr_export(draft_item(162, "Floating"), dated))

    floating = await blog.store.get_post(blog.site.id, DIARY)
    assert floating.published == floating.created == blog.clock.now()  # undated (api_drafts)
    kept = await blog.store.get_post(blog.site.id, "http://blog.example.com/?p=163")
    assert kept.published.isoformat() == "2020-07-01T03:15:00+00:00"
    assert report.notes == []
