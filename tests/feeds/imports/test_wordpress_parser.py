"""Stories about moving a WordPress blog in: a WXR export (1.1 or 1.2) becomes posts, comments,
label and author aliases, and the reasons for what stays behind. The fixtures are a fictional
blog in Kathmandu (+05:45), written the way WordPress's exporter writes."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bench.wxr_gen import write_wxr
from feeds.imports.items import (
    PAGE_LEFT_OUT,
    ImportedComment,
    ImportedPost,
    ImportFormatError,
    ImportItem,
    LabelAlias,
    Note,
    Skipped,
)
from feeds.imports.wordpress import parse_wxr
from feeds.models import Author, CommentStatus, Enclosure, PostStatus

FIXTURES = Path(__file__).parent / "fixtures" / "wordpress"
KATHMANDU = ZoneInfo("Asia/Kathmandu")
BLOG = "https://ledger.example.org"


def parse(name: str = "export-1.2.xml", *, pages: bool = False, tz=KATHMANDU) -> list[ImportItem]:
    with (FIXTURES / name).open("rb") as source:
        return list(parse_wxr(source, tz, include_pages=pages))


def posts(items: list[ImportItem]) -> dict[str, ImportedPost]:
    return {i.source_id: i for i in items if isinstance(i, ImportedPost)}


def comments(items: list[ImportItem]) -> dict[str, ImportedComment]:
    return {i.source_id: i for i in items if isinstance(i, ImportedComment)}


def skips(items: list[ImportItem]) -> list[tuple[str, str]]:
    return [(s.title, s.reason) for s in items if isinstance(s, Skipped)]


def line_of(name: str, text: str, after: int = 0) -> int:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if n > after and text in line)


def wxr(*items: str, version: str = "1.2", head: str = "") -> io.BytesIO:
    """A small export around the given <item>s."""
    return io.BytesIO(
        f"""<?xml version="1.0" encoding="UTF-8"?>{head}
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/{version}/">
<channel><title>T</title><wp:wxr_version>{version}</wp:wxr_version>
{"".join(items)}
</channel></rss>""".encode()
    )


def item(post_id: str = "1", *, guid: str | None = None, link: str = "", content: str = "",
         dates: str = "", extra: str = "") -> str:  # fmt: skip
    guid_xml = "" if guid == "" else f"<guid>{guid or f'https://old.example/?p={post_id}'}</guid>"
    id_xml = f"<wp:post_id>{post_id}</wp:post_id>" if post_id else ""
    return f"""<item><title>Post {post_id}</title>{guid_xml}
<link>{link}</link><content:encoded><![CDATA[{content}]]></content:encoded>{id_xml}
{dates}<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>{extra}</item>"""


def only_post(items: list[ImportItem]) -> ImportedPost:
    (post,) = [i for i in items if isinstance(i, ImportedPost)]
    return post


# --- posts ----------------------------------------------------------------------------------


def test_a_wxr_12_export_yields_its_posts_with_their_guids_as_entry_ids() -> None:
    found = posts(parse())
    assert list(found) == ["101", "102", "103", "104", "105", "110"]
    assert {p.entry_id for p in found.values()} == {
        f"{BLOG}/?p={n}" for n in (101, 102, 103, 104, 105, 110)
    }
    frost = found["101"]
    assert frost.title == "First frost & what survived"  # WordPress stored "&amp;"
    assert frost.kind == "post"
    assert frost.slug == "first-frost"
    assert frost.summary == "Minus four at six in the morning."
    assert frost.old_paths == ("/2023/11/14/first-frost/", "?p=101")
    assert found["104"].old_paths == ("?p=104",)  # a draft's link is the ?p= form already


def test_dc_creator_is_a_login_that_the_channel_authors_turn_into_a_name() -> None:
    """...without the account's email, which WordPress never publishes; the login, never
    shown, tells two users of one display name apart (feeds/authors.py)."""
    found = posts(parse())
    assert found["101"].authors == (Author("Marta Quiñones", account="marta"),)
    assert found["102"].authors == (Author("Kofi Mensah", account="kofi"),)
    aliases = [a for a in parse() if isinstance(a, LabelAlias) and a.kind == "author"]
    assert aliases == [
        LabelAlias("author", "marta", "Marta Quiñones", "1"),
        LabelAlias("author", "kofi", "Kofi Mensah", "2"),
    ]


def test_an_author_missing_from_the_channel_keeps_the_login_as_name() -> None:
    extra = "<dc:creator><![CDATA[ghost]]></dc:creator>"
    assert only_post(list(parse_wxr(wxr(item(extra=extra)), UTC))).authors == (
        Author("ghost", account="ghost"),)


def test_categories_and_tags_become_labels_and_aliases() -> None:
    items = parse()
    aliases = [(a.kind, a.slug, a.name, a.legacy_id) for a in items if isinstance(a, LabelAlias)]
    assert aliases == [
        ("author", "marta", "Marta Quiñones", "1"),
        ("author", "kofi", "Kofi Mensah", "2"),
        ("category", "uncategorized", "Uncategorized", "1"),
        ("category", "garden", "Garden", "2"),
        ("category", "baking", "Baking", "4"),
        ("category", "vegetables", "Vegetables & Herbs", "3"),  # the child of Garden
        ("tag", "frost", "frost", "7"),
        ("tag", "sourdough", "sourdough", "8"),
        ("tag", "日本", "日本", "9"),  # its slug was exported percent-encoded
        ("tag", "compost", "compost", None),  # only on a post: an alias all the same, once
    ]
    found = posts(items)
    assert found["101"].labels == ("Garden", "Vegetables & Herbs", "frost")
    assert found["102"].labels == ("Baking", "compost", "sourdough")
    assert found["103"].labels == ("Baking", "日本")
    assert found["110"].labels == ("Uncategorized",)  # its post_format "Aside" is no label
    compost = next(i for i, a in enumerate(items) if isinstance(a, LabelAlias) and a.slug == "compost")
    assert items[compost + 1] == found["102"]  # announced just before the post that uses it


def _category(slug: str, name: str, parent: str = "") -> str:
    return (f"<wp:category><wp:category_nicename>{slug}</wp:category_nicename>"
            f"<wp:category_parent>{parent}</wp:category_parent>"
            f"<wp:cat_name><![CDATA[{name}]]></wp:cat_name></wp:category>")


def test_a_post_in_a_child_category_takes_its_parents_labels_too() -> None:
    """WordPress's /category/garden/feed/ shows the posts of Garden's child categories: a
    post only in Garden > Vegetables > Tomatoes takes the Garden and Vegetables labels, so
    the old feeds (each the label's feed here) keep showing it."""
    tomatoes = '<category domain="category" nicename="tomatoes"><![CDATA[Tomatoes]]></category>'
    loop_a = '<category domain="category" nicename="a"><![CDATA[A]]></category>'
    items = list(parse_wxr(wxr(
        _category("garden", "Garden"), _category("vegetables", "Vegetables", "garden"),
        _category("tomatoes", "Tomatoes", "vegetables"),
        _category("a", "A", "b"), _category("b", "B", "a"),  # a loop the export has
        item("1", extra=tomatoes), item("2", extra=loop_a)), UTC))
    found = posts(items)
    assert found["1"].labels == ("Tomatoes", "Vegetables", "Garden")
    assert found["2"].labels == ("A", "B")


def test_drafts_scheduled_and_private_posts_keep_their_status() -> None:
    found = posts(parse())
    assert found["101"].status is PostStatus.PUBLISHED
    assert found["104"].status is PostStatus.DRAFT
    assert found["105"].status is PostStatus.SCHEDULED
    assert found["110"].status is PostStatus.DRAFT  # private: never shown to readers


def test_a_password_protected_post_comes_in_as_a_draft() -> None:
    # WordPress's own feeds never showed its content; published here, they would.
    extra = "<wp:post_password><![CDATA[hunter2]]></wp:post_password>"
    assert only_post(list(parse_wxr(wxr(item(extra=extra)), UTC))).status is PostStatus.DRAFT


def test_the_trash_pages_menus_and_attachments_stay_behind_each_with_a_reason() -> None:
    items = parse()
    assert skips(items) == [
        ("Sourdough, week 12", "comment 16: status 'trash'"),
        ("Sourdough, week 12", "comment 17: type 'note' is not a reader's comment"),
        ("Old seed list", "in the trash"),
        ("", "comment 18: its item is not imported (in the trash)"),
        ("About the allotment", PAGE_LEFT_OUT),
        ("crumb", "attachment: not a post"),
        ("", "nav_menu_item: not a post"),
    ]
    assert not any(getattr(i, "source_id", None) in ("108", "109") for i in items)
    assert "18" not in comments(items)  # the trashed post's comment goes with it
    where = {s.reason: s.where for s in items if isinstance(s, Skipped)}
    assert where["attachment: not a post"] == f"item 8 (line {line_of('export-1.2.xml', '<title><![CDATA[crumb') - 1})"
    assert where["nav_menu_item: not a post"].startswith("item 9 (line ")


def test_a_comment_on_an_item_left_behind_is_reported_with_it() -> None:
    comment = ("<wp:comment><wp:comment_id>7</wp:comment_id><wp:comment_content>Nice"
               "</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>")
    page = item("5", extra=comment).replace("<wp:post_type>post", "<wp:post_type>page")
    attachment = item("6", extra=comment.replace(">7<", ">8<")).replace(
        "<wp:post_type>post", "<wp:post_type>attachment")
    items = list(parse_wxr(wxr(page, attachment), UTC))
    assert skips(items) == [
        ("Post 5", PAGE_LEFT_OUT),
        ("", f"comment 7: its item is not imported ({PAGE_LEFT_OUT})"),
        ("Post 6", "attachment: not a post"),
        ("", "comment 8: its item is not imported (attachment: not a post)"),
    ]
    with_pages = list(parse_wxr(wxr(page), UTC, include_pages=True))
    assert skips(with_pages) == [] and list(comments(with_pages)) == ["7"]


def test_pages_come_in_when_asked_for() -> None:
    about = posts(parse(pages=True))["107"]
    assert about.kind == "page"
    assert about.entry_id == f"{BLOG}/?page_id=107"
    assert about.old_paths == ("/about/", "?p=107", "?page_id=107")
    assert about.content_html == (
        "<p>Plot 14, by the railway.</p>\n<p>Two of us, one shed, too many courgettes.</p>"
    )


def test_each_item_says_where_it_is() -> None:
    items = parse()
    found = posts(items)
    assert found["101"].where == f"item 1 (line {line_of('export-1.2.xml', '<item>')})"
    trash_line = line_of("export-1.2.xml", "<title><![CDATA[Old seed list")
    assert f"item 6 (line {trash_line - 1})" in [s.where for s in items if isinstance(s, Skipped)]
    assert found["110"].where.startswith("item 10 (line ")  # attachments and menus count too
    reply_line = line_of("export-1.2.xml", "<wp:comment_id>12<")
    assert comments(items)["12"].where == f"item 1 (line {reply_line - 1})"


# --- dates ----------------------------------------------------------------------------------


def test_the_utc_dates_win_whatever_the_blogs_time_zone() -> None:
    for tz in (KATHMANDU, ZoneInfo("America/St_Johns"), UTC):
        frost = posts(parse(tz=tz))["101"]
        assert frost.published == datetime(2023, 11, 14, 3, 20, tzinfo=UTC)
        assert frost.updated == datetime(2023, 11, 15, 4, 15, tzinfo=UTC)
    assert posts(parse())["105"].published == datetime(2031, 1, 1, tzinfo=UTC)


def test_a_drafts_zero_date_is_not_dated_yet_and_its_local_date_is_not_taken() -> None:
    # post_date_gmt 0000-00-00 00:00:00, post_date 2024-06-02 22:10 in Kathmandu: WordPress's
    # floating date of a draft, not dated until it goes out; pubDate "-0001" is none either.
    assert posts(parse())["104"].published is None
    assert posts(parse(tz=UTC))["104"].published is None


def test_a_published_posts_zero_utc_date_falls_back_to_its_local_date_in_the_blogs_zone() -> None:
    dates = ("<wp:post_date>2024-06-02 22:10:00</wp:post_date>"
             "<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>")
    post = only_post(list(parse_wxr(wxr(item("9", dates=dates)), KATHMANDU)))
    assert post.published == datetime(2024, 6, 2, 16, 25, tzinfo=UTC)


def test_without_wp_dates_the_pubdate_serves_and_garbage_means_no_date() -> None:
    zero = "<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>"
    good = f"{zero}<pubDate>Sat, 02 Mar 2024 10:00:00 +0100</pubDate>"
    bad = f"{zero}<wp:post_date>soon</wp:post_date><pubDate>Mon, 30 Nov -0001 00:00:00 +0000</pubDate>"
    edge = "<wp:post_date>0001-01-01 00:00:00</wp:post_date>"  # before year 1 in UTC
    items = [item("1", dates=good), item("2", dates=bad), item("3", dates=edge)]
    found = posts(list(parse_wxr(wxr(*items), KATHMANDU)))
    assert found["1"].published == datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    assert found["2"].published is None  # the applier uses the import time
    assert found["2"].updated is None
    assert found["3"].published is None


# --- content --------------------------------------------------------------------------------


def test_content_without_paragraphs_gets_them() -> None:
    # WordPress stores classic posts without <p> and adds them on display (wpautop).
    assert posts(parse())["101"].content_html == (
        "<p>The first frost came on Tuesday night&nbsp;&mdash; three weeks early.<br />\n"
        "The thermometer by the shed read &minus;4&nbsp;&deg;C at six.</p>\n"
        "<p>What survived: the leeks, the kale, the garlic (of course).<br />\n"
        "What did not: every last dahlia.</p>\n"
        '<p><img src="https://ledger.example.org/wp-content/uploads/2023/11/frost.jpg" '
        'alt="Frost on the kale" width="640" height="480" /><br />\n'
        'Next week: <a\nhref="https://ledger.example.org/2023/10/02/mulch/">mulching</a>, '
        "finally.</p>"  # no <br /> inside the tag that spans two lines
    )


def test_paragraphs_and_blocks_of_a_classic_post_are_kept_and_its_loose_text_gets_paragraphs(
) -> None:
    found = posts(parse())
    assert found["103"].content_html.startswith("<p>Flour 500&nbsp;g &middot; water")
    assert found["105"].content_html == (
        "<h2>Beds 1&ndash;4</h2>\n<ul>\n<li>Potatoes</li>\n<li>Broad beans</li>\n</ul>"
    )
    mixed = "Intro line.\n\n<h2>Part two</h2>\n\nMore text\nand more."
    assert only_post(list(parse_wxr(wxr(item(content=mixed)), UTC))).content_html == (
        "<p>Intro line.</p>\n<h2>Part two</h2>\n<p>More text<br />\nand more.</p>"
    )
    # One styled paragraph or a <pre> does not take the paragraphs from the rest, and the
    # <pre> keeps its lines (WordPress's wpautop, not "has a <p>: leave it").
    styled = ('First line\nsecond line\n\n<p style="text-align: center;">Centred.</p>\n\n'
              "Third.\n\n<pre>code\n\nmore code</pre>\n\nLast.")
    assert only_post(list(parse_wxr(wxr(item(content=styled)), UTC))).content_html == (
        "<p>First line<br />\nsecond line</p>\n<p style=\"text-align: center;\">Centred.</p>\n"
        "<p>Third.</p>\n<pre>code\n\nmore code</pre>\n<p>Last.</p>"
    )


def test_gutenberg_block_comments_are_dropped() -> None:
    content = posts(parse())["102"].content_html
    assert "<!--" not in content
    assert content.startswith("<p>The starter is finally <strong>reliable</strong>")
    assert '</p>\n\n<figure class="wp-block-image size-large">' in content


def test_a_split_cdata_section_comes_back_whole() -> None:
    # The exporter writes "]]>" as "]]]]><![CDATA[>".
    assert "contains <code>]]></code>: a CDATA" in posts(parse())["110"].content_html


def test_a_non_ascii_slug_and_path_are_percent_decoded() -> None:
    bread = posts(parse())["103"]
    assert bread.slug == "パンの焼き方"
    assert bread.title == "パンの焼き方 — Tokyo edition"
    assert bread.old_paths == ("/2024/03/31/パンの焼き方/", "?p=103")  # as aiohttp's request.path


def test_an_enclosure_comes_from_the_post_meta() -> None:
    found = posts(parse())
    assert found["102"].enclosures == (
        Enclosure(f"{BLOG}/wp-content/uploads/2024/01/sourdough-week-12.mp3", "audio/mpeg", 5242880),
    )
    assert found["101"].enclosures == ()


def test_an_enormous_post_comes_through_whole() -> None:
    # 12 MB: more than libxml2 allows one text node unless told huge_tree.
    paragraph = "<p>" + "Compost, leaf mould &amp; well-rotted manure. " * 40 + "</p>\n"
    content = paragraph * (12_000_000 // len(paragraph) + 1)
    post = only_post(list(parse_wxr(wxr(item(content=content)), UTC)))
    assert post.content_html == content.strip()


# --- comments -------------------------------------------------------------------------------


def test_comments_keep_stable_entry_ids_and_their_thread() -> None:
    found = comments(parse())
    assert list(found) == ["11", "12", "13", "14", "15", "19"]
    first, reply = found["11"], found["12"]
    assert first.entry_id == f"{BLOG}/?p=101#comment-11"
    assert first.post_source_id == "101"
    assert first.parent_source_id is None
    assert first.author == Author("Aoife Byrne", "https://aoife.example.net", "aoife@example.net")
    assert first.content_html == "<p>Lost all my dahlias too.<br />\nNext year: straw.</p>"
    assert first.published == datetime(2023, 11, 14, 8, 0, tzinfo=UTC)
    assert reply.parent_source_id == "11"
    assert reply.status is CommentStatus.APPROVED
    again = comments(parse())  # a second run: the same ids, so nothing comes in twice
    assert [c.entry_id for c in again.values()] == [c.entry_id for c in found.values()]


def test_a_comment_awaiting_moderation_comes_in_pending_and_spam_as_spam() -> None:
    found = comments(parse())
    assert found["13"].status is CommentStatus.PENDING
    assert found["14"].status is CommentStatus.SPAM


def test_a_pingback_comes_in_as_a_comment_by_the_site_that_linked() -> None:
    ping = comments(parse())["15"]
    assert ping.author == Author("Kitchen Garden Weekly", "https://kgw.example.com/2023/11/links/")
    assert ping.content_html == "<p>[&#8230;] The Allotment Ledger on the first frost [&#8230;]</p>"


def test_an_old_empty_http_url_is_no_url() -> None:
    assert comments(parse())["19"].author == Author("田中 健二", None, "kenji@example.jp")


def test_comments_come_right_after_their_post() -> None:
    items = parse()
    at = items.index(posts(items)["101"])
    assert [getattr(i, "source_id", None) for i in items[at + 1 : at + 6]] == ["11", "12", "13", "14", "15"]


# --- versions, damage, safety ---------------------------------------------------------------


def test_1_1_and_1_2_give_the_same_posts() -> None:
    def comparable(items: list[ImportItem]) -> list[ImportItem]:
        return [replace(i, where="", **({"updated": None} if isinstance(i, ImportedPost) else {}))
                if isinstance(i, ImportedPost | ImportedComment | Skipped) else i
                for i in items]  # fmt: skip

    old, new = parse("export-1.1.xml"), parse("export-1.2.xml")
    assert comparable(old) == comparable(new)
    assert all(p.updated is None for p in posts(old).values())  # 1.1 had no post_modified


def test_a_malformed_export_names_the_line() -> None:
    items: list[ImportItem] = []
    with pytest.raises(ImportFormatError) as raised, (FIXTURES / "malformed.xml").open("rb") as f:
        items.extend(parse_wxr(f, UTC))
    assert [p.title for p in posts(items).values()] == ["Leeks"]  # what came before came in
    assert raised.value.where == f"line {line_of('malformed.xml', 'Salt & pepper')}"
    assert "not well-formed" in raised.value.problem


@pytest.mark.parametrize(
    ("data", "where", "problem"),
    [
        (b"", "line 1", "not well-formed"),
        (b"Title,Date\nHello,2024-01-01\n", "line 1", "not well-formed"),
        (b'<?xml version="1.0"?>\n<rss version="2.0"><channel><item><guid>x</guid></item>'
         b"</channel></rss>", "line 2", "no http://wordpress.org/export/1.2/"),
        (b'<?xml version="1.0"?>\n\n<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>',
         "line 3", "the root is not <rss>"),
        (b'<?xml version="1.0"?>\n<html><body><p>Not found</p></body></html>', "line 2",
         "the root is not <rss>"),
    ],
    ids=["empty", "csv", "plain-rss", "atom", "html"],
)  # fmt: skip
def test_what_is_not_a_wxr_export_is_refused(data: bytes, where: str, problem: str) -> None:
    with pytest.raises(ImportFormatError) as raised:
        list(parse_wxr(io.BytesIO(data), UTC))
    assert raised.value.where == where
    assert problem in raised.value.problem


def test_a_bad_item_is_skipped_and_the_rest_comes_in() -> None:
    items = list(parse_wxr(wxr(item("1"), item(""), item("3", guid=""), item("4")), UTC))
    assert list(posts(items)) == ["1", "4"]
    assert [(s.where, s.reason) for s in items if isinstance(s, Skipped)] == [
        ("item 2 (line 8)", "no wp:post_id"),
        ("item 3 (line 10)", "no guid or link"),
    ]
    linked = list(parse_wxr(wxr(item("5", guid="", link="https://old.example/five/")), UTC))
    assert only_post(linked).entry_id == "https://old.example/five/"


def test_entities_are_not_resolved_and_nothing_is_fetched() -> None:
    head = '\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY big "BIG">]>'
    post = only_post(list(parse_wxr(wxr(item("1", extra="<title>&xxe;&big;</title>"), head=head), UTC)))
    assert "root:" not in post.title
    assert "BIG" not in post.title


def test_the_benchmarks_generated_export_parses(tmp_path: Path) -> None:
    path = tmp_path / "gen.xml"
    write_wxr(path, 300, seed=7)
    with path.open("rb") as source:
        items = list(parse_wxr(source, UTC))
    assert len(posts(items)) >= 290
    assert sum(isinstance(i, ImportedComment) for i in items) > 20
    assert all((p.published is not None or p.status is PostStatus.DRAFT)
               and p.content_html.startswith("<") for p in posts(items).values())
    assert len({a.slug for a in items if isinstance(a, LabelAlias) and a.kind == "author"}) == 20
    write_wxr(tmp_path / "again.xml", 300, seed=7)
    assert (tmp_path / "again.xml").read_bytes() == path.read_bytes()  # deterministic


def test_a_date_that_is_no_date_is_noted_with_the_date_used_instead() -> None:
    dates = ("<wp:post_date_gmt>2020-02-30 10:00:00</wp:post_date_gmt>"
             "<wp:post_date>2020-02-28 10:00:00</wp:post_date>")
    comment = ("<wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_author>A"
               "</wp:comment_author><wp:comment_date_gmt>2020-13-01 00:00:00"
               "</wp:comment_date_gmt><wp:comment_content>Hi</wp:comment_content>"
               "<wp:comment_approved>1</wp:comment_approved></wp:comment>")
    items = list(parse_wxr(wxr(item(dates=dates, extra=comment)), UTC))
    assert only_post(items).published == datetime(2020, 2, 28, 10, tzinfo=UTC)
    notes = [i for i in items if isinstance(i, Note)]
    assert [n.note for n in notes] == [
        "not a date, left out: '2020-02-30 10:00:00' (published: 2020-02-28T10:00:00+00:00)",
        "not a date, left out: '2020-13-01 00:00:00' (published: none in the export (the "
        "import's time, or the date stored))"]
    assert notes[0].title == "Post 1" and notes[1].where.startswith("item 1")


def test_dates_wordpress_writes_for_none_are_no_note() -> None:
    dates = ("<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>"
             "<wp:post_date>2020-02-28 10:00:00</wp:post_date>")
    assert not [i for i in parse_wxr(wxr(item(dates=dates)), UTC) if isinstance(i, Note)]


@pytest.mark.parametrize("link", ["http://[87]/2019/03/post/", "http://[::1/post/"])
def test_a_post_whose_link_is_no_url_comes_in_with_its_p_id_as_its_only_old_url(
    link: str,
) -> None:
    post = only_post(list(parse_wxr(wxr(item("7", link=link)), KATHMANDU)))
    assert (post.title, post.old_paths) == ("Post 7", ("?p=7",))
