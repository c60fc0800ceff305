"""Stories about a WordPress post's content coming in as WordPress showed it: captions,
galleries, videos and audio that WordPress keeps as shortcodes or bare URLs and expands on
display (feeds/imports/wp_content.py), so the feeds do not show "[caption ...]" or lose a
post's pictures."""

from __future__ import annotations

import io

import pytest

from feeds.imports.embeds import player_html, player_url
from feeds.imports.items import ImportedComment, ImportedPost, ImportFormatError, Note, Skipped
from feeds.imports.wordpress import parse_wxr
from feeds.imports.wp_content import Attachment, render
from feeds.players import embed_player_url
from tests.atom_rules import assert_atom_valid
from tests.feeds.imports.conftest import ATOM, Blog, entries
from tests.feeds.imports.test_wordpress_parser import KATHMANDU, item, only_post, wxr

UPLOADS = "https://ledger.example.org/wp-content/uploads/2024/01"


def shown(content: str, attachments: dict[str, Attachment] | None = None) -> str:
    html, problems = render(content, "5", attachments or {})
    assert problems == []
    return html


def attachment(post_id: str, name: str, *, parent: str = "5", order: int = 0, caption: str = "",
               alt: str = "") -> str:  # fmt: skip
    """An attachment <item> as WordPress's exporter writes it."""
    alt_meta = f"""<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>
<wp:meta_value><![CDATA[{alt}]]></wp:meta_value></wp:postmeta>""" if alt else ""
    return f"""<item><title>{name}</title><guid isPermaLink="false">{UPLOADS}/{name}</guid>
<excerpt:encoded><![CDATA[{caption}]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id><wp:post_parent>{parent}</wp:post_parent>
<wp:menu_order>{order}</wp:menu_order><wp:status>inherit</wp:status>
<wp:post_type>attachment</wp:post_type>
<wp:attachment_url>{UPLOADS}/{name}</wp:attachment_url>{alt_meta}</item>"""


# --- captions -------------------------------------------------------------------------------


def test_a_captioned_image_shows_its_caption_under_it() -> None:
    content = (
        '[caption id="attachment_6" align="alignright" width="300"]<a href="/crumb.jpg">'
        '<img class="size-medium" src="/crumb-300x200.jpg" alt="" width="300" height="200" />'
        "</a> The crumb, at 78 % hydration[/caption]"
    )
    assert shown(content) == (
        '<figure><a href="/crumb.jpg"><img class="size-medium" src="/crumb-300x200.jpg" alt=""'
        ' width="300" height="200" /></a><figcaption>The crumb, at 78 % hydration</figcaption>'
        "</figure>"
    )


def test_an_old_caption_attribute_still_captions() -> None:
    # WordPress before 3.4 wrote the caption as an attribute.
    content = '[caption id="" align="alignnone" width="200" caption="Old starter"]<img src="/s.jpg">[/caption]'
    assert shown(content) == '<figure><img src="/s.jpg"><figcaption>Old starter</figcaption></figure>'


def test_a_caption_with_no_text_is_just_its_image() -> None:
    assert shown('[caption width="300"]<img src="/s.jpg">[/caption]') == '<img src="/s.jpg">'


def test_a_caption_inside_a_paragraph_of_text_keeps_the_text() -> None:
    html = shown('Before.\n\n[caption width="9"]<img src="/a.jpg"> A[/caption]\n\nAfter.')
    assert html == (
        "<p>Before.</p>\n<figure><img src=\"/a.jpg\"><figcaption>A</figcaption></figure>"
        "\n<p>After.</p>"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[[caption]] is how you write it", "<p>[caption] is how you write it</p>"),
        ('[Caption width="1"]<img src="/a.jpg"> A[/Caption]',
         '<p>[Caption width="1"]<img src="/a.jpg"> A[/Caption]</p>'),
        ('[contact-form-7 id="12" title="Contact"]', '<p>[contact-form-7 id="12" title="Contact"]</p>'),
        ("[1] a footnote mark", "<p>[1] a footnote mark</p>"),
    ],
    ids=["escaped", "names-are-case-sensitive", "a-plugins-shortcode", "not-a-shortcode"],
)
def test_what_is_not_a_core_shortcode_stays_as_wordpress_showed_it(content: str, expected: str
                                                                   ) -> None:  # fmt: skip
    assert shown(content) == expected


# --- videos and audio -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "player"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube.com/embed/dQw4w9WgXcQ"),
        ("http://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
         "https://www.youtube.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/abcDEF12345", "https://www.youtube.com/embed/abcDEF12345"),
        ("https://www.youtube.com/playlist?list=PL1234567890",
         "https://www.youtube.com/embed/videoseries?list=PL1234567890"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://vimeo.com/channels/staffpicks/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://www.dailymotion.com/video/x7tgad0_a-title", "https://www.dailymotion.com/embed/video/x7tgad0"),
        ("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
         "https://open.spotify.com/embed/track/4uLU6hMCjMI75M1A2tKUQC"),
        ("https://soundcloud.com/artist/a-track",
         "https://w.soundcloud.com/player/?url=https%3A%2F%2Fsoundcloud.com%2Fartist%2Fa-track"),
        ("https://api.soundcloud.com/tracks/156661852",
         "https://w.soundcloud.com/player/?url=https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F156661852"),
        ("https://open.spotify.com/user/bob/playlist/37i9dQZF1DX",
         "https://open.spotify.com/embed/playlist/37i9dQZF1DX"),
    ],
)
def test_a_known_providers_page_has_a_player_that_sanitizing_keeps(page: str, player: str
                                                                    ) -> None:  # fmt: skip
    found = player_url(page)
    assert found is not None and found[0] == player
    assert embed_player_url(player) == player  # feeds/players.py's allow-list has it


@pytest.mark.parametrize(
    "page",
    [
        "https://example.org/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
        "javascript://www.youtube.com/watch?v=x",
        'https://www.youtube.com/watch?v=x"onload="alert(1)',
        "https://www.youtube.com/channel/UC123",
        "https://vimeo.com/about",
        "https://soundcloud.com/artist",
        "https://[::1/watch",
    ],
)
def test_anything_else_has_no_player(page: str) -> None:
    assert player_url(page) is None and player_html(page) is None


def test_a_video_url_alone_on_its_line_becomes_its_player_with_a_link_under_it() -> None:
    html = shown("Watch this:\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=10\n\nNice.")
    assert html == (
        "<p>Watch this:</p>\n<figure><iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\""
        ' width="640" height="360" allowfullscreen loading="lazy"></iframe><figcaption>'
        '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=10">'
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=10</a></figcaption></figure>"
        "\n<p>Nice.</p>"
    )


def test_a_gutenberg_embed_block_becomes_its_player() -> None:
    content = """<!-- wp:embed {"url":"https://vimeo.com/76979871","type":"video","providerNameSlug":"vimeo"} -->
<figure class="wp-block-embed is-type-video is-provider-vimeo"><div class="wp-block-embed__wrapper">
https://vimeo.com/76979871
</div></figure>
<!-- /wp:embed -->"""
    assert '<iframe src="https://player.vimeo.com/video/76979871"' in shown(content)


def test_a_url_in_a_sentence_or_of_an_unknown_site_stays_as_it_was() -> None:
    content = "See https://youtu.be/dQw4w9WgXcQ for more.\nhttps://example.org/alone"
    assert shown(content) == f"<p>{content.replace(chr(10), '<br />' + chr(10))}</p>"


def test_embed_shortcodes_give_a_player_sized_as_asked_or_a_link() -> None:
    assert 'width="400" height="225"' in shown('[embed width="400"]https://vimeo.com/76979871[/embed]')
    assert shown("[embed]https://example.org/page[/embed]") == (
        '<p><a href="https://example.org/page">https://example.org/page</a></p>'
    )


@pytest.mark.parametrize(
    "shortcode",
    [
        "[youtube=http://www.youtube.com/watch?v=JaNH56Vpg-A&w=640&h=385]",
        "[youtube https://www.youtube.com/watch?v=JaNH56Vpg-A]",
        "[youtube JaNH56Vpg-A]",
    ],
)
def test_wordpress_coms_youtube_shortcode_becomes_the_player(shortcode: str) -> None:
    assert '<iframe src="https://www.youtube.com/embed/JaNH56Vpg-A"' in shown(shortcode)


def test_jetpacks_other_players() -> None:
    assert "player.vimeo.com/video/141358" in shown("[vimeo 141358 w=500 h=280]")
    assert "dailymotion.com/embed/video/x8oma9" in shown("[dailymotion id=x8oma9]")
    assert "open.spotify.com/embed/track/4uLU6hMCjMI75M1A2tKUQC" in shown(
        '[spotify id="spotify:track:4uLU6hMCjMI75M1A2tKUQC"]')


def test_audio_and_video_shortcodes_become_players_with_a_link_to_the_file() -> None:
    # A shortcode alone in its paragraph is not wrapped in one (shortcode_unautop).
    assert shown('[audio mp3="https://a.example/x.mp3" ogg="https://a.example/x.ogg"][/audio]') == (
        '<audio controls><source src="https://a.example/x.mp3" type="audio/mpeg">'
        '<source src="https://a.example/x.ogg" type="audio/ogg">'
        '<a href="https://a.example/x.mp3">https://a.example/x.mp3</a></audio>'
    )
    assert shown('[video src="https://a.example/v.mp4" poster="https://a.example/p.jpg"]') == (
        '<video controls src="https://a.example/v.mp4" width="640" height="360"'
        ' poster="https://a.example/p.jpg"><a href="https://a.example/v.mp4">'
        "https://a.example/v.mp4</a></video>"
    )
    assert "youtube.com/embed/dQw4w9WgXcQ" in shown('[video src="https://youtu.be/dQw4w9WgXcQ"]')


# --- galleries: the export's attachments ----------------------------------------------------


FILES = {
    "11": Attachment(f"{UPLOADS}/loaf.jpg", "5", 2, "The <em>loaf</em>", "A loaf", "Loaf"),
    "12": Attachment(f"{UPLOADS}/crumb.png", "5", 1, "", "", "Crumb"),
    "13": Attachment(f"{UPLOADS}/recipe.pdf", "5", 0, "", "", "Recipe"),
    "14": Attachment(f"{UPLOADS}/other.jpg", "9", 0, "", "", "Other post's"),
    "15": Attachment(f"{UPLOADS}/talk.mp3", "5", 3, "", "", "The talk"),
}


def figure(name: str, alt: str = "", caption: str = "") -> str:
    src = f"{UPLOADS}/{name}"
    under = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure><a href="{src}"><img src="{src}" alt="{alt}"></a>{under}</figure>'


def test_a_gallery_shows_the_posts_images_in_their_order_with_captions() -> None:
    assert shown("[gallery]", FILES) == (
        f"<div>{figure('crumb.png')}{figure('loaf.jpg', 'A loaf', 'The <em>loaf</em>')}</div>"
    )


def test_a_gallery_of_ids_keeps_their_order_and_exclude_leaves_some_out() -> None:
    assert shown('[gallery ids="14,11"]', FILES) == (
        f"<div>{figure('other.jpg')}{figure('loaf.jpg', 'A loaf', 'The <em>loaf</em>')}</div>"
    )
    assert shown('[gallery exclude="11"]', FILES) == f"<div>{figure('crumb.png')}</div>"
    assert shown('[gallery id="9" link="none"]', FILES) == (
        f'<div><figure><img src="{UPLOADS}/other.jpg" alt=""></figure></div>'
    )


def test_a_galleries_missing_images_are_reported() -> None:
    html, problems = render('[gallery ids="11,99,98"]', "5", FILES)
    assert html == f"<div>{figure('loaf.jpg', 'A loaf', 'The <em>loaf</em>')}</div>"
    assert problems == ["[gallery]: attachment 99, 98 not in the export, left out"]
    html, problems = render("Text\n\n[gallery]", "7", FILES)
    assert html == "<p>Text</p>"
    assert problems == ["[gallery] with no image in the export: left out"]


def test_a_playlist_and_a_bare_audio_play_the_posts_files() -> None:
    talk = f"{UPLOADS}/talk.mp3"
    player = f'<audio controls src="{talk}"><a href="{talk}">{talk}</a></audio>'
    assert shown("[playlist]", FILES) == f"<ol><li>{player}The talk</li></ol>"
    assert shown("[audio]", FILES) == player


# --- through the parser ---------------------------------------------------------------------


def test_a_gallery_finds_attachments_listed_after_its_post_and_its_comments_follow_it() -> None:
    comment = """<wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_author>Ann</wp:comment_author>
<wp:comment_content>Lovely</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
</wp:comment>"""
    source = wxr(
        attachment("12", "crumb.png", order=1),
        item("5", content='[gallery ids="11,12"]\n\nhttps://youtu.be/dQw4w9WgXcQ', extra=comment),
        item("6", content="Plain"),
        attachment("11", "loaf.jpg", order=2, caption="The loaf", alt="A loaf"),
    )
    items = list(parse_wxr(source, KATHMANDU))
    kinds = [(type(i).__name__, getattr(i, "source_id", "")) for i in items]
    assert kinds == [("Skipped", ""), ("ImportedPost", "6"), ("Skipped", ""),
                     ("ImportedPost", "5"), ("ImportedComment", "3")]  # fmt: skip
    post = next(i for i in items if isinstance(i, ImportedPost) and i.source_id == "5")
    assert post.content_html.startswith(
        f"<div>{figure('loaf.jpg', 'A loaf', 'The loaf')}{figure('crumb.png')}</div>"
    )
    assert "youtube.com/embed/dQw4w9WgXcQ" in post.content_html
    comment_item = items[-1]
    assert isinstance(comment_item, ImportedComment) and comment_item.content_html == "<p>Lovely</p>"
    assert [s.reason for s in items if isinstance(s, Skipped)] == ["attachment: not a post"] * 2


def test_a_gallery_image_missing_from_the_export_is_a_note_on_the_post() -> None:
    items = list(parse_wxr(wxr(item("5", content='[gallery ids="40"]')), KATHMANDU))
    notes = [i for i in items if isinstance(i, Note)]
    assert [(n.title, n.note) for n in notes] == [
        ("Post 5", "[gallery]: attachment 40 not in the export, left out"),
        ("Post 5", "[gallery] with no image in the export: left out"),
    ]
    assert only_post(items).content_html == ""


# --- through an import, into the feeds ------------------------------------------------------


async def test_an_imported_posts_captions_gallery_and_video_reach_the_feed(blog: Blog) -> None:
    content = (
        '[caption width="300"]<img src="/wp-content/uploads/2024/01/loaf.jpg"> The loaf[/caption]'
        '\n\n[gallery ids="11,40"]\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ'
    )
    export = wxr(item("5", content=content, link="https://blog.test/2024/01/loaf/"),
                 attachment("11", "crumb.png", caption="The crumb"))
    report = await blog.import_bytes("wordpress", export.getvalue())
    assert report.notes == [("item 1 (line 6)", "Post 5",
                             "[gallery]: attachment 40 not in the export, left out")]
    await blog.regenerate()
    body = (await blog.atom_bytes())[0]
    assert_atom_valid(body)
    (entry,) = entries(await blog.atom("/feeds/posts/default"))
    shown_html = entry.findtext(f"{ATOM}content")
    assert "[caption" not in shown_html and "[gallery" not in shown_html
    assert (
        '<figure><img src="http://blog.test/wp-content/uploads/2024/01/loaf.jpg">'
        "<figcaption>The loaf</figcaption></figure>"
    ) in shown_html
    assert f"{figure('crumb.png', caption='The crumb')}" in shown_html
    assert (
        '<figure><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="640"'
        ' height="360" allowfullscreen="" loading="lazy"></iframe><figcaption>'
        '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">'
    ) in shown_html  # with a link under the player, for readers that drop iframes


def test_an_audio_or_video_with_no_file_anywhere_is_left_out_and_reported() -> None:
    assert render("[video]", "7", FILES) == (
        "", ["[video] without a file, and none attached to the post: left out"])


def test_lines_around_a_shortcode_keep_their_breaks() -> None:
    # wpautop runs before the shortcodes (priority 10 and 11): the lines stay lines.
    html = shown('Photos from the day:\n[caption width="9"]<img src="/a.jpg"> A[/caption]\n'
                 "It was sunny.\nWe stayed late.")
    assert html == (
        "<p>Photos from the day:<br />\n<figure><img src=\"/a.jpg\"><figcaption>A</figcaption>"
        "</figure><br />\nIt was sunny.<br />\nWe stayed late.</p>"
    )


def test_a_block_editor_post_is_shown_as_stored() -> None:
    content = ("<!-- wp:paragraph -->\n<p>One</p>\n<!-- /wp:paragraph -->\n\n"
               "<!-- wp:shortcode -->\n[gallery ids=\"12\"]\n<!-- /wp:shortcode -->")
    assert shown(content, FILES) == f"<p>One</p>\n\n<div>{figure('crumb.png')}</div>"


# --- a file that breaks off -----------------------------------------------------------------


def test_a_file_that_breaks_off_keeps_its_whole_posts_and_stores_no_half_one() -> None:
    whole = wxr(item("5", content="[gallery]"), attachment("11", "loaf.jpg"),
                item("6", content="Plain")).getvalue()
    cut = whole[: whole.index(b"<wp:status>", whole.index(b"Post 6"))]  # inside item 6
    got: list[object] = []
    with pytest.raises(ImportFormatError, match="not well-formed XML"):
        got.extend(parse_wxr(io.BytesIO(cut), KATHMANDU))
    # The gallery post came before the break: stored whole, with the attachment read.
    (post,) = [i for i in got if isinstance(i, ImportedPost)]
    assert post.source_id == "5" and "loaf.jpg" in post.content_html
    # Item 6 breaks off: reported, never stored as a post (lxml closes what is open).
    assert [(s.title, s.reason) for s in got if isinstance(s, Skipped)][-1] == (
        "Post 6", "cut off where the file breaks")


def test_an_item_closed_just_before_the_break_is_kept() -> None:
    whole = wxr(item("5", content="One"), item("6", content="Two")).getvalue()
    cut = whole[: whole.index(b"</item>", whole.index(b"Post 6")) + 7] + b"<ite"
    got: list[object] = []
    with pytest.raises(ImportFormatError):
        got.extend(parse_wxr(io.BytesIO(cut), KATHMANDU))
    assert [i.source_id for i in got if isinstance(i, ImportedPost)] == ["5", "6"]


def test_jetpacks_usual_soundcloud_and_old_spotify_forms_and_a_note_for_what_has_no_player(
) -> None:
    assert "api.soundcloud.com%2Ftracks%2F156661852" in shown(
        '[soundcloud url="https://api.soundcloud.com/tracks/156661852" params="auto_play=false"'
        ' width="100%" height="166" iframe="true" /]')
    assert "open.spotify.com/embed/playlist/37i9dQZF1DX" in shown(
        '[spotify id="spotify:user:bob:playlist:37i9dQZF1DX"]')
    assert render("[vimeo about]", "5", {}) == (
        "[vimeo about]", ["[vimeo]: no player for 'https://vimeo.com/about', left as text"])

