"""The Blogger parser, told as stories about one fictional blog, The Lantern Ledger, exported
twice: once by Google Takeout (feed.atom) and once by the older "Back up content" (blog-*.xml).
Pure: bytes in, items out."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest

from feeds.imports.blogger import parse_blogger
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
from feeds.models import Author, CommentStatus, Enclosure, PostStatus

FIXTURES = Path(__file__).parent / "fixtures" / "blogger"
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # +05:45: naive dates in the fixtures take this zone
BLOG = "tag:blogger.com,1999:blog-7001234567890123456"
MOMO = f"{BLOG}.post-4411223344556677001"
FOG = f"{BLOG}.post-4411223344556677002"
PODCAST = f"{BLOG}.post-4411223344556677003"
ANH_COMMENT = f"{BLOG}.post-6633445566778899001"
ZOE_REPLY = f"{BLOG}.post-6633445566778899002"

TAKEOUT_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<feed xmlns='http://www.w3.org/2005/Atom' "
    "xmlns:blogger='http://schemas.google.com/blogger/2018'>\n"
)


def parse(name: str, *, include_pages: bool = False) -> list[ImportItem]:
    with (FIXTURES / name).open("rb") as source:
        return list(parse_blogger(source, KATHMANDU, include_pages=include_pages))


def parse_bytes(data: bytes | str) -> list[ImportItem]:
    raw = data.encode() if isinstance(data, str) else data
    return list(parse_blogger(io.BytesIO(raw), KATHMANDU))


def posts(items: list[ImportItem]) -> dict[str, ImportedPost]:
    return {item.entry_id: item for item in items if isinstance(item, ImportedPost)}


def comments(items: list[ImportItem]) -> dict[str, ImportedComment]:
    return {item.entry_id: item for item in items if isinstance(item, ImportedComment)}


def where(item: ImportItem) -> str:
    assert not isinstance(item, LabelAlias)  # Blogger has no label aliases
    return item.where


def skipped(items: list[ImportItem]) -> list[Skipped]:
    return [item for item in items if isinstance(item, Skipped)]


def takeout_post(inner: str, post_id: str = "4411223344556677999") -> str:
    return (
        f"{TAKEOUT_HEAD}<entry><id>{BLOG}.post-{post_id}</id>"
        f"<blogger:type>POST</blogger:type><blogger:status>LIVE</blogger:status>"
        f"{inner}</entry></feed>"
    )


# Takeout


def test_a_takeout_export_yields_its_posts_with_bloggers_entry_ids() -> None:
    found = posts(parse("takeout.atom"))

    assert list(found)[:3] == [MOMO, FOG, PODCAST]
    momo = found[MOMO]
    assert momo.source_id == momo.entry_id == MOMO
    assert momo.legacy_id == 4411223344556677001
    assert momo.slug == "momo-folding"
    assert momo.old_paths == ("/2019/03/momo-folding.html",)
    assert momo.labels == ("Cooking", "Nepal")
    assert momo.summary == "How we fold momo, pleat by pleat."
    assert momo.status is PostStatus.PUBLISHED
    assert momo.kind == "post"
    assert momo.where == "entry 1 (line 5)"


def test_titles_lose_takeouts_extra_html_escaping() -> None:
    found = posts(parse("takeout.atom"))

    assert found[MOMO].title == "Momo: the art of folding — Café tips"
    assert found[FOG].title == "St. John's fog & other weather"
    assert found[PODCAST].title == "Ledger Talk #1: 田中's kitchen radio"


def test_content_stays_the_exported_html_with_its_entities_and_relative_image() -> None:
    momo = posts(parse("takeout.atom"))[MOMO]

    assert momo.content_html == (
        "<p>Folding momo is a pleat-by-pleat affair&nbsp;&mdash; twelve pleats if you&#39;re "
        'patient.</p><p><img src="/images/momo.jpg" alt="Momo on a steamer"></p>'
        "<p>Served with tomato achar. Caf&eacute; owners in Thamel swear by it.</p>"
    )


def test_odd_time_zones_come_out_as_aware_utc() -> None:
    found = posts(parse("takeout.atom"))

    # +05:45 (Kathmandu), -03:30 (Newfoundland), Z, and a naive date read in the given zone.
    assert found[MOMO].published == datetime(2019, 3, 5, 12, 45, tzinfo=UTC)
    assert found[FOG].published == datetime(2020, 11, 2, 10, 45, tzinfo=UTC)
    assert found[PODCAST].published == datetime(2021, 1, 15, 20, 0, tzinfo=UTC)
    naive = found[f"{BLOG}.post-4411223344556677006"]
    assert naive.published == datetime(2021, 6, 1, 3, 15, tzinfo=UTC)
    for post in found.values():
        for moment in (post.published, post.updated):
            assert moment is None or moment.utcoffset() == UTC.utcoffset(None)


def test_a_post_without_published_falls_back_to_blogger_created() -> None:
    found = posts(parse("takeout.atom"))

    dal_bhat = found[f"{BLOG}.post-4411223344556677005"]
    assert dal_bhat.published == datetime(2021, 3, 10, 16, 12, 13, tzinfo=UTC)
    assert dal_bhat.updated is None


def test_a_post_without_any_date_is_dated_by_the_month_its_path_names_with_a_note() -> None:
    """Not the import's time: a 2021 post would come first in every feed, as if new, and
    leave its Blogger link (/2021/02/blog-post.html) for /<this month>/blog-post.html."""
    items = parse("takeout.atom")

    rain = posts(items)[f"{BLOG}.post-4411223344556677004"]
    assert rain.published == datetime(2021, 2, 1, tzinfo=KATHMANDU)
    assert rain.updated is None
    assert Note(rain.where, "no date in the export: dated 2021-02-01, the month its path "
                "/2021/02/blog-post.html names", rain.title) in items


def test_a_post_without_any_date_or_path_is_left_to_the_import_with_a_note() -> None:
    items = parse_bytes(takeout_post("<title>When?</title><content type='html'>x</content>"))

    assert isinstance(items[0], ImportedPost) and items[0].published is None
    assert items[1:] == [Note("entry 1 (line 3)", "no date in the export: dated at the "
                              "import (a post already stored keeps its date)", "When?")]


def test_a_draft_without_a_date_is_no_news() -> None:
    items = parse_bytes(takeout_post(
        "<title>Later</title><content type='html'>x</content>").replace(
        "<blogger:status>LIVE", "<blogger:status>DRAFT"))

    assert len(items) == 1 and isinstance(items[0], ImportedPost)


def test_a_date_that_is_no_date_is_left_out_with_a_note_naming_the_one_taken() -> None:
    items = parse_bytes(takeout_post(
        "<title>Odd</title><content type='html'>x</content>"
        "<published>2014-02-30T10:00:00Z</published><updated>2014-03-01T10:00:00Z</updated>"))

    assert isinstance(items[0], ImportedPost)
    assert items[0].published == datetime(2014, 3, 1, 10, tzinfo=UTC)
    assert items[1:] == [Note("entry 1 (line 3)", "not a date, left out: '2014-02-30T10:00:00Z'"
                              " (published: 2014-03-01T10:00:00+00:00)", "Odd")]


def test_published_falls_back_to_updated_before_created() -> None:
    item = parse_bytes(takeout_post(
        "<title>T</title><content type='html'>x</content>"
        "<blogger:created>2001-01-01T00:00:00Z</blogger:created>"
        "<updated>2002-02-02T00:00:00-03:30</updated>"
    ))[0]

    assert isinstance(item, ImportedPost)
    assert item.published == datetime(2002, 2, 2, 3, 30, tzinfo=UTC)


def test_a_post_without_a_title_is_named_by_its_first_sixty_characters() -> None:
    untitled = posts(parse("takeout.atom"))[f"{BLOG}.post-4411223344556677004"]

    assert untitled.title == "Rain again. The lentils have been soaking since dawn and the…"
    assert untitled.slug == "blog-post"


def test_a_short_untitled_post_is_named_by_its_whole_text_without_an_ellipsis() -> None:
    item = parse_bytes(takeout_post(
        "<title></title><content type='html'>&lt;p&gt;Back&amp;nbsp;soon.&lt;/p&gt;</content>"
    ))[0]

    assert isinstance(item, ImportedPost)
    assert item.title == "Back soon."


def test_a_post_with_neither_title_nor_text_is_skipped() -> None:
    items = parse_bytes(takeout_post(
        "<title></title><content type='html'>&lt;p&gt; &lt;br&gt;&lt;/p&gt;</content>"
    ))

    assert items == [Skipped("entry 1 (line 3)", "no title and no text",
                             source_id=f"{BLOG}.post-4411223344556677999")]


def test_drafts_and_scheduled_posts_keep_their_status() -> None:
    found = posts(parse("takeout.atom"))

    draft = found[f"{BLOG}.post-4411223344556677007"]
    assert draft.status is PostStatus.DRAFT
    assert draft.slug is None and draft.old_paths == ()
    scheduled = found[f"{BLOG}.post-4411223344556677008"]
    assert scheduled.status is PostStatus.SCHEDULED
    assert scheduled.published == datetime(2030, 12, 31, 18, 15, tzinfo=UTC)


def test_a_trashed_post_is_skipped_with_the_reason() -> None:
    gone = [s for s in skipped(parse("takeout.atom")) if s.title == "Test post, please ignore"]

    assert len(gone) == 1
    assert "trash" in gone[0].reason.lower()
    assert gone[0].where == "entry 9 (line 165)"


def test_an_entry_in_the_trash_by_its_trashed_date_alone_is_skipped() -> None:
    items = parse_bytes(takeout_post(
        "<title>Oops</title><content type='html'>x</content>"
        "<blogger:trashed>2022-05-05T10:00:00.000Z</blogger:trashed>"
    ))

    assert len(items) == 1 and isinstance(items[0], Skipped)
    assert "trash" in items[0].reason.lower() and items[0].title == "Oops"


def test_a_page_is_skipped_unless_pages_are_asked_for() -> None:
    page_id = f"{BLOG}.page-5522334455667788001"
    without = parse("takeout.atom")
    assert page_id not in posts(without)
    assert Skipped("entry 10 (line 185)", PAGE_LEFT_OUT, "About the Ledger",
                   page_id) in without

    page = posts(parse("takeout.atom", include_pages=True))[page_id]
    assert page.kind == "page"
    assert page.slug == "about" and page.old_paths == ("/p/about.html",)
    assert page.legacy_id == 5522334455667788001


def test_authors_keep_their_non_ascii_names_and_profile_links() -> None:
    found = posts(parse("takeout.atom"))

    assert found[MOMO].authors == (
        Author("Zoë Ólafsdóttir", "https://www.blogger.com/profile/01234567890123456789"),
    )
    assert found[PODCAST].authors[0].name == "Kenji 田中"


def test_a_post_with_an_enclosure_carries_it() -> None:
    podcast = posts(parse("takeout.atom"))[PODCAST]

    assert podcast.enclosures == (
        Enclosure("https://media.example.org/ledger/episode-1.mp3", "audio/mpeg", 12345678),
    )


def test_labels_joined_by_newlines_in_one_term_come_apart() -> None:
    assert posts(parse("takeout.atom"))[PODCAST].labels == ("Podcast", "Audio")


def test_a_comment_names_its_post_and_its_parent_comment() -> None:
    found = comments(parse("takeout.atom"))

    first = found[ANH_COMMENT]
    assert first.post_source_id == MOMO
    assert first.parent_source_id is None  # <blogger:inReplyTo/> is empty: it answers the post
    assert first.author == Author("Ánh Nguyễn", "https://anh.example.net/")
    assert first.content_html == "Lovely pleats! Do you use <b>ghee</b>?"
    assert first.published == datetime(2019, 3, 6, 3, 15, tzinfo=UTC)
    reply = found[ZOE_REPLY]
    assert reply.post_source_id == MOMO
    assert reply.parent_source_id == ANH_COMMENT


def test_anonymous_commenters_are_anonymous_without_bloggers_noreply_address() -> None:
    found = comments(parse("takeout.atom"))

    assert found[f"{BLOG}.post-6633445566778899003"].author == Author("Anonymous")
    nameless = found[f"{BLOG}.post-6633445566778899004"]
    assert nameless.author == Author("Anonymous")
    assert nameless.content_html == "Is it <i>always</i> foggy? &#10084;"  # from CDATA


def test_comment_moderation_comes_through_spam_and_pending_included() -> None:
    found = comments(parse("takeout.atom"))

    assert found[ANH_COMMENT].status is CommentStatus.APPROVED
    assert found[f"{BLOG}.post-6633445566778899005"].status is CommentStatus.SPAM
    assert found[f"{BLOG}.post-6633445566778899006"].status is CommentStatus.PENDING


def test_a_deleted_comment_is_skipped_with_the_reason() -> None:
    items = parse("takeout.atom")

    assert f"{BLOG}.post-6633445566778899007" not in comments(items)
    assert Skipped(
        "entry 18 (line 303)", "comment trashed or deleted on Blogger (DELETED)"
    ) in items


def test_an_entry_without_id_title_or_content_is_skipped_and_parsing_goes_on() -> None:
    items = parse("takeout.atom")

    assert Skipped("entry 11 (line 203)", "malformed entry: no <id>") in items
    assert len(comments(items)) == 6  # the comments after it still come through


def test_every_item_says_where_it_is() -> None:
    items = parse("takeout.atom", include_pages=True)

    places = [where(item) for item in items if not isinstance(item, Note)]
    assert [place.split(" (")[0] for place in places] == [f"entry {i}" for i in range(1, 19)]
    assert all(place.endswith(")") and "(line " in place for place in places)


def test_a_post_id_too_big_for_64_bits_keeps_its_entry_id_but_has_no_legacy_id() -> None:
    item = parse_bytes(takeout_post("<title>Big</title><content>x</content>", "9923372036854775807"))[0]

    assert isinstance(item, ImportedPost)
    assert item.entry_id == f"{BLOG}.post-9923372036854775807"
    assert item.legacy_id is None


# The older export


def test_a_legacy_export_skips_settings_and_template_silently() -> None:
    items = parse("legacy.xml")

    assert where(items[0]) == "entry 4 (line 8)"  # entries 1-3: two settings, the template
    assert all("settings" not in s.reason and "template" not in s.reason for s in skipped(items))
    assert [s.reason for s in skipped(items)] == [PAGE_LEFT_OUT]


def test_a_legacy_draft_is_a_draft() -> None:
    draft = posts(parse("legacy.xml"))[f"{BLOG}.post-4411223344556677007"]

    assert draft.status is PostStatus.DRAFT


def test_a_legacy_permalink_gives_the_slug_and_old_path() -> None:
    fog = posts(parse("legacy.xml"))[FOG]

    assert fog.slug == "st-johns-fog"
    assert fog.old_paths == ("/2020/11/st-johns-fog.html",)
    assert fog.title == "St. John's fog & other weather"  # from CDATA


def test_a_legacy_comment_finds_its_parent_through_the_related_link() -> None:
    found = comments(parse("legacy.xml"))

    assert found[ANH_COMMENT].post_source_id == MOMO
    assert found[ANH_COMMENT].parent_source_id is None
    assert found[ANH_COMMENT].author == Author("Ánh Nguyễn", "https://anh.example.net/")
    assert found[ZOE_REPLY].parent_source_id == ANH_COMMENT


def test_xhtml_content_comes_out_as_plain_html() -> None:
    note = posts(parse("legacy.xml"))[f"{BLOG}.post-4411223344556677006"]

    assert note.content_html == "<p>A short note written in <em>XHTML</em>, &amp; kept as HTML.</p>"


def test_both_formats_give_the_same_posts_for_the_same_blog() -> None:
    def essentials(post: ImportedPost) -> tuple[object, ...]:
        return (
            post.entry_id, post.title, post.content_html, post.published, post.slug,
            post.labels, post.authors, post.enclosures, post.legacy_id, post.kind, post.old_paths,
        )

    takeout = posts(parse("takeout.atom", include_pages=True))
    legacy = posts(parse("legacy.xml", include_pages=True))

    assert list(takeout) == list(legacy)
    assert [essentials(p) for p in takeout.values()] == [essentials(p) for p in legacy.values()]
    different = {i for i in takeout if takeout[i].status is not legacy[i].status}
    # The old export has no word for "scheduled": it is a post dated in the future there.
    assert different == {f"{BLOG}.post-4411223344556677008"}
    assert legacy[f"{BLOG}.post-4411223344556677008"].status is PostStatus.PUBLISHED


def test_both_formats_give_the_same_published_comments() -> None:
    takeout = comments(parse("takeout.atom"))
    legacy = comments(parse("legacy.xml"))

    approved = {i: c for i, c in takeout.items() if c.status is CommentStatus.APPROVED}
    strip = [(c.entry_id, c.post_source_id, c.parent_source_id, c.author, c.content_html,
              c.published) for c in approved.values()]
    assert strip == [(c.entry_id, c.post_source_id, c.parent_source_id, c.author,
                      c.content_html, c.published) for c in legacy.values()]


# Broken files


def test_a_malformed_export_names_the_line_after_yielding_what_came_before() -> None:
    got: list[ImportItem] = []
    with (FIXTURES / "malformed.atom").open("rb") as source, pytest.raises(
        ImportFormatError
    ) as caught:
        got.extend(parse_blogger(source, KATHMANDU))

    assert [item.entry_id for item in got if isinstance(item, ImportedPost)] == [MOMO, FOG]
    assert caught.value.where == "line 28"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"this is not XML at all", "line 1"),
        (b"", "line 1"),
        (b"<?xml version='1.0'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>\n<entry>", "line 3"),
    ],
)
def test_a_file_that_is_not_xml_names_the_line(data: bytes, where: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_bytes(data)

    assert caught.value.where == where


def test_an_export_cut_off_mid_entry_names_the_entry_it_cuts_and_keeps_those_before() -> None:
    whole = takeout_post("<title>Whole</title><content type='html'>one</content>", "1")
    cut = whole.removesuffix("</feed>") + (
        f"\n<entry><id>{BLOG}.post-2</id><blogger:type>POST</blogger:type>\n"
        "<title>Cut</title><content type='html'>half of i")
    got: list[ImportItem] = []
    with pytest.raises(ImportFormatError) as caught:
        got.extend(parse_blogger(io.BytesIO(cut.encode()), KATHMANDU))

    assert [p.title for p in posts(got).values()] == ["Whole"]
    assert caught.value.where == "line 5"
    # The entry cut off is named, by number and the line it begins on; lxml's own position
    # ("..., line 5, column 49") is not said a second time.
    assert caught.value.problem == (
        "not well-formed XML: the file ends inside <content> (begun on line 5); "
        "entry 2 (line 4) is cut off: not imported")


def test_a_text_file_is_not_well_formed_xml_said_once_with_its_line() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_bytes(b"export SYNDIC_STORAGE__URL=sqlite:///x.db\n")

    assert str(caught.value) == (
        "line 1: not well-formed XML: Start tag expected, '<' not found (column 1)")


def test_an_rss_file_is_not_an_atom_feed() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_bytes("<?xml version='1.0'?>\n\n<rss version='2.0'><channel/></rss>")

    assert caught.value.where == "line 3"
    assert "not an Atom feed" in caught.value.problem


def test_an_atom_feed_that_is_no_blogger_export_skips_every_entry_with_the_reason() -> None:
    items = parse_bytes(
        "<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>urn:x</id><title>Hi</title>"
        "</entry></feed>"
    )

    assert items == [
        Skipped("entry 1 (line 1)", "not a post, page or comment (type 'missing')", "Hi")
    ]


def test_entities_are_not_expanded_from_a_doctype() -> None:
    items = parse_bytes(
        "<?xml version='1.0'?><!DOCTYPE feed [<!ENTITY secret SYSTEM 'file:///etc/passwd'>]>"
        + takeout_post("<title>T &amp; &secret;</title><content>x</content>")
        .removeprefix(TAKEOUT_HEAD.split("\n")[0])
    )

    assert isinstance(items[0], ImportedPost)
    assert "root:" not in items[0].title


# Size


@pytest.mark.parametrize("megabytes", [5, 12])  # 12: past libxml2's 10 MB limit on one text
def test_an_enormous_post_comes_through_whole(megabytes: int) -> None:
    paragraph = "<p>Momo &amp; achar at the caf&eacute; — 田中 says <em>more</em>.</p>\n"
    body = paragraph * (megabytes * 1_000_000 // len(paragraph))
    items = parse_bytes(takeout_post(
        f"<title>Everything</title><content type='html'>{escape(body)}</content>"
    ))

    assert isinstance(items[0], ImportedPost) and items[0].content_html == body
    assert all(isinstance(item, Note) for item in items[1:])  # it has no date


class CountingReader(io.RawIOBase):
    """A file that counts how much of it has been read."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self.data.readinto(buffer)
        self.read_bytes += count
        return count


def test_the_parser_streams_the_first_post_arrives_before_the_file_is_read() -> None:
    entry = (
        "<entry><id>{id}</id><blogger:type>POST</blogger:type><blogger:status>LIVE"
        "</blogger:status><title>Post {n}</title><content type='html'>{body}</content></entry>\n"
    )
    filler = escape("<p>" + "lorem ipsum " * 80 + "</p>")
    data = (
        TAKEOUT_HEAD
        + "".join(entry.format(id=f"{BLOG}.post-{n}", n=n, body=filler) for n in range(4000))
        + "</feed>"
    ).encode()
    reader = CountingReader(data)
    source: BinaryIO = io.BufferedReader(reader)

    stream = parse_blogger(source, KATHMANDU)
    first = next(stream)

    assert isinstance(first, ImportedPost) and first.title == "Post 0"
    assert reader.read_bytes < len(data) // 10
    assert sum(1 for item in stream if not isinstance(item, Note)) == 3999


def test_an_old_export_post_whose_permalink_is_no_url_comes_in_without_an_old_path() -> None:
    (post,) = parse_bytes(takeout_post(
        "<title>Linked oddly</title><content type='html'>Words.</content>"
        "<link rel='alternate' type='text/html' href='http://[87]/2019/03/odd.html'/>"
        "<published>2019-03-05T12:00:00Z</published>"))
    assert isinstance(post, ImportedPost)
    assert (post.title, post.old_paths, post.slug) == ("Linked oddly", (), None)
