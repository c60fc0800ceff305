"""What an import's report tells a blog's owner moving in: every post the import changed on
the way is noted (a password-protected post made a draft, a title cut to the API's length, a
body too big for readers built on libxml2); a line about a comment names the comment and its
post; the lines follow the file."""

from __future__ import annotations

from feeds.models import PostStatus
from tests.feeds.imports.conftest import Blog
from tests.feeds.imports.exports import wxr_comment, wxr_export, wxr_post


def with_content(item: str, html: str) -> str:
    return item.replace(item[item.index("<content:encoded>"):item.index("<wp:post_id>")],
                        f"<content:encoded><![CDATA[{html}]]></content:encoded>")


async def test_a_password_protected_post_comes_in_as_a_draft_and_the_report_says_so(
    blog: Blog,
) -> None:
    locked = wxr_post(1, "My private diary", "2023-06-01 10:00:00").replace(
        "<wp:post_type>", "<wp:post_password>hunter2</wp:post_password><wp:post_type>")

    report = await blog.import_bytes("wordpress", wxr_export(locked))

    [post] = await blog.store.list_posts(blog.site.id)
    assert post.status is PostStatus.DRAFT
    assert report.notes == [("item 1 (line 4)", "My private diary", (
        "password-protected on WordPress: imported as a draft (a feed has no password:"
        " publish it to show it to everyone)"))]


async def test_a_title_cut_to_the_apis_length_and_a_body_past_10_mb_are_noted(blog: Blog) -> None:
    long_title = "Tomatoes " * 167 + "and more"  # 1,511 characters
    huge = "<p>" + "Seed saving, year by year. " * 390_000 + "</p>"  # 10.5 MB
    export = wxr_export(wxr_post(1, long_title, "2023-06-01 10:00:00"),
                        with_content(wxr_post(2, "Everything I know", "2023-06-02 10:00:00"),
                                     huge))

    report = await blog.import_bytes("wordpress", export)

    assert report.posts_added == 2
    stored = {p.slug: p for p in await blog.store.list_posts(blog.site.id)}
    assert len(stored["post-1"].title) <= 1000 and stored["post-1"].title.endswith("…")
    assert len(stored["post-2"].content_html) > 10_000_000  # stored whole: the owner decides
    assert [(where, note) for where, _, note in report.notes] == [
        ("item 1 (line 4)", "its title of 1,511 characters is cut to 1,000 (the longest"
                            " syndic takes), ending in \"…\""),
        ("item 2 (line 5)", "its body is 10.5 MB: readers built on libxml2 refuse a text past"
                            " 10 MB, and with it every full feed that carries this post (the"
                            " summary feeds read): shorten it, or split it into posts"),
    ]


async def test_lines_about_comments_name_the_comment_and_its_post_in_file_order(
    blog: Blog,
) -> None:
    """A note found while storing (an embed made a link), one the parser gave (a gallery
    image missing, on a post kept back to the end of the file) and one on a comment's
    thread come in the order of the file, not the order they were found in."""
    answered = wxr_comment(17, "Aoife", "First!")
    across = wxr_comment(31, "Marta", "Replying over there.").replace(
        "</wp:comment>", "<wp:comment_parent>17</wp:comment_parent></wp:comment>")
    export = wxr_export(
        with_content(wxr_post(1, "Maps", "2023-06-01 10:00:00", comments=answered),
                     '<iframe src="https://www.google.com/maps/embed?pb=x"></iframe>'),
        with_content(wxr_post(2, "A tomato gallery", "2023-06-02 10:00:00"),
                     '[gallery ids="203"]'),
        wxr_post(3, "Frost", "2023-06-03 10:00:00", comments=across),
    )

    report = await blog.import_bytes("wordpress", export)

    assert report.notes == [
        ("item 1 (line 4)", "Maps", "embedded content from www.google.com is a link now: a"
         " feed keeps the players of well-known video and audio sites only"),
        ("item 2 (line 5)", "A tomato gallery",
         "[gallery]: attachment 203 not in the export, left out"),
        ("item 2 (line 5)", "A tomato gallery", "[gallery] with no image in the export: left out"),
        ("item 3 (line 6)", "Frost", "comment 31: the comment it answers (17) is on another"
         " post: it answers its post"),
    ]
