"""Stories about exports that get things wrong. Comment threads: a comment that answers
itself, two that answer each other, one that answers a comment on another post or one not
in the export; each is stored answering its post, with a note saying why, none reported as
having no post, and the store never holds a reply whose parent is on another post. Values
longer than the API takes: cut or left out, so that every feed stays readable."""

from __future__ import annotations

from feeds.models import Comment
from tests.feeds.imports.conftest import ATOM, Blog, entries
from tests.feeds.imports.exports import wxr_export, wxr_post

BLOG = "tag:blogger.com,1999:blog-1"
HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:blogger='http://schemas.google.com/blogger/2018'>\n")


def reply(n: int, author: str, parent: int = 0) -> str:
    """A WordPress comment answering comment `parent` (0: the post)."""
    return (f"<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>{author}"
            "</wp:comment_author><wp:comment_date_gmt>2023-06-01 10:00:00</wp:comment_date_gmt>"
            f"<wp:comment_content><![CDATA[{author} says hi.]]></wp:comment_content>"
            "<wp:comment_approved>1</wp:comment_approved>"
            f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>")


def takeout(*entries: str) -> bytes:
    return (HEAD + "".join(entries) + "</feed>").encode()


def takeout_post(n: int) -> str:
    return (f"<entry><id>{BLOG}.post-{n}</id><blogger:type>POST</blogger:type>"
            f"<blogger:status>LIVE</blogger:status><title>Post {n}</title>"
            "<content type='html'>Words.</content>"
            "<published>2023-01-01T00:00:00Z</published></entry>\n")


def takeout_comment(n: int, post: int, parent: int | None = None) -> str:
    answers = f"{BLOG}.post-{parent}" if parent else ""
    return (f"<entry><id>{BLOG}.post-{n}</id><blogger:parent>{BLOG}.post-{post}"
            f"</blogger:parent><blogger:inReplyTo>{answers}</blogger:inReplyTo>"
            "<blogger:type>COMMENT</blogger:type><blogger:status>LIVE</blogger:status>"
            f"<author><name>C{n}</name></author><content type='html'>Comment {n}</content>"
            "<published>2023-01-02T00:00:00Z</published></entry>\n")


async def threads(blog: Blog) -> dict[str, tuple[int, str | None]]:
    """Each stored comment's author: (its post's id, the author of the comment it answers)."""
    _, comments = await blog.store.page_comments(blog.site.id, 100, 0)
    by_id: dict[int, Comment] = {c.id: c for c in comments}
    out = {}
    for c in comments:
        parent = by_id.get(c.parent_id) if c.parent_id is not None else None
        assert c.parent_id is None or (parent is not None and parent.post_id == c.post_id)
        out[c.author.name] = (c.post_id, parent.author.name if parent else None)
    return out


async def test_a_comment_that_answers_itself_answers_its_post_with_a_note(blog: Blog) -> None:
    export = wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments="".join([
        reply(11, "Aoife"), reply(12, "Marta", parent=12), reply(13, "Kofi", parent=12),
    ])))

    report = await blog.import_bytes("wordpress", export)

    assert (report.posts_added, report.comments_added, report.skipped) == (1, 3, [])
    [(_, _, note)] = report.notes
    assert note == "comment 12: it answers itself: it answers the post"
    post_id = (await blog.store.get_post(blog.site.id, "post-1", by_id=False)).id
    assert await threads(blog) == {"Aoife": (post_id, None), "Marta": (post_id, None),
                                   "Kofi": (post_id, "Marta")}


async def test_two_comments_that_answer_each_other_are_stored_the_first_answering_the_post(
    blog: Blog,
) -> None:
    export = wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments="".join([
        reply(11, "Aoife", parent=12), reply(12, "Marta", parent=11), reply(13, "Dev", parent=11),
    ])))

    report = await blog.import_bytes("wordpress", export)

    assert (report.comments_added, report.skipped) == (3, [])
    [(where, _, note)] = report.notes
    assert where.startswith("item 1") and note == (
        "comment 11: the comment it answers (12) answers it in turn, a loop: it answers the post")
    post_id = (await blog.store.get_post(blog.site.id, "post-1", by_id=False)).id
    assert await threads(blog) == {"Aoife": (post_id, None), "Marta": (post_id, "Aoife"),
                                   "Dev": (post_id, "Aoife")}
    again = await blog.import_bytes("wordpress", export)
    assert (again.comments_added, again.comments_unchanged, again.skipped) == (0, 3, [])


async def test_a_blogger_comment_answering_a_comment_on_another_post_answers_its_own_post(
    blog: Blog,
) -> None:
    export = takeout(takeout_post(1), takeout_post(2), takeout_comment(11, post=1),
                     takeout_comment(21, post=2, parent=11), takeout_comment(22, post=2, parent=21))

    report = await blog.import_bytes("blogger", export)

    assert (report.posts_added, report.comments_added, report.skipped) == (2, 3, [])
    [(where, _, note)] = report.notes
    assert where.startswith("entry 4") and note == (
        f"the comment it answers ({BLOG}.post-11) is on another post: it answers its post")
    assert await threads(blog) == {"C11": (1, None), "C21": (2, None), "C22": (2, "C21")}


async def test_a_reply_to_a_comment_whose_post_is_not_in_the_export_answers_its_post(
    blog: Blog,
) -> None:
    export = takeout(takeout_post(1), takeout_comment(11, post=9, parent=None),
                     takeout_comment(12, post=1, parent=11))

    report = await blog.import_bytes("blogger", export)

    assert report.comments_added == 1
    assert [(w.split()[1], r) for w, _, r in report.skipped] == [
        ("2", "its post is not in the export")]
    assert await threads(blog) == {"C12": (1, None)}


async def test_an_imported_value_longer_than_the_api_takes_is_cut_or_left_out_and_the_feed_reads(
    blog: Blog,
) -> None:
    # An enclosure URL of 12 MB came into the feed as it was: libxml2 (lxml, and the
    # readers built on it) refuses an attribute past 10 MB, so the whole feed was unreadable.
    huge = "https://old.example/" + "a" * 12_000_000
    long_title = "T" * 1500
    rss = ("<rss version='2.0'><channel><title>Old</title><item><guid>urn:x:1</guid>"
           f"<title>{long_title}</title><description>Words.</description>"
           f"<enclosure url='{huge}' type='audio/mpeg' length='1'/>"
           "<enclosure url='https://old.example/ok.mp3' type='audio/mpeg' length='2'/>"
           f"<author>me@old.example ({'N' * 300})</author>"
           "</item></channel></rss>").encode()

    report = await blog.import_bytes("feed", rss)

    assert (report.posts_added, report.skipped) == (1, [])
    [post] = (await blog.store.posts_by_entry_id(blog.site.id, ["urn:x:1"])).values()
    assert post.title == "T" * 999 + "…"
    assert [e.url for e in post.enclosures] == ["https://old.example/ok.mp3"]
    assert all(len(a.name) <= 200 for a in post.authors)
    comment = wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments=(
        "<wp:comment><wp:comment_id>11</wp:comment_id><wp:comment_author>Aoife"
        f"</wp:comment_author><wp:comment_author_url>{huge}</wp:comment_author_url>"
        "<wp:comment_content>Hi.</wp:comment_content><wp:comment_approved>1"
        "</wp:comment_approved></wp:comment>")))
    assert (await blog.import_bytes("wordpress", comment)).comments_added == 1
    _, [stored] = await blog.store.page_comments(blog.site.id, 10, 0)
    assert (stored.author.name, stored.author.uri) == ("Aoife", None)
    await blog.regenerate()
    assert [e.findtext(f"{ATOM}title") for e in entries(await blog.atom("/feeds/posts/default"))
            ] == [post.title, "Frost"]  # undated: the import's time, the newer
    assert len(entries(await blog.atom("/feeds/comments/default"))) == 1
