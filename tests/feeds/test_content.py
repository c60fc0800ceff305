"""Stories about what happens to real-world (and hostile) post content on its way into a feed."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds import content as content_module
from feeds.content import (
    clean_text,
    first_image,
    sanitize_html,
    strip_xml_illegal,
    summary_from_html,
)

BASE = "https://blog.example.com/2024/05/my-post/"


def sanitize(html: str) -> str:
    return sanitize_html(html, BASE)


def assert_xml_safe(text: str) -> None:
    # lxml refuses any string that contains a character XML 1.0 does not allow.
    etree.Element("probe").text = text


def assert_no_javascript(html: str) -> None:
    assert "javascript" not in html.lower()
    assert "alert" not in html


# --- strip_xml_illegal ----------------------------------------------------------------


def test_clean_text_comes_back_as_the_very_same_object():
    text = "Plain “curly” text — with é, 日本語 and an emoji 😀\tand\nnewlines\r"
    assert strip_xml_illegal(text) is text


def test_control_characters_nonchars_and_lone_surrogates_are_removed():
    dirty = "a\x00b\x01c\x08d\x0be\x0cf\x1fg\ufffeh\uffffi\ud800j\udfffk"
    assert strip_xml_illegal(dirty) == "abcdefghijk"


def test_tab_newline_carriage_return_and_the_edges_of_legal_ranges_survive():
    legal = "\t\n\r \ud7ff\ue000\ufffd\U00010000\U0010ffff"
    assert strip_xml_illegal(legal) == legal
    assert_xml_safe(legal)


def test_an_emoji_is_not_mistaken_for_a_surrogate():
    assert strip_xml_illegal("party 🎉\x00") == "party 🎉"


# --- clean_text -----------------------------------------------------------------------


def test_a_title_pasted_with_newlines_and_tabs_becomes_one_tidy_line():
    assert clean_text("  Hello,\n\t  world\r\n  ") == "Hello, world"


def test_a_title_with_a_null_byte_loses_it_without_gaining_a_space():
    assert clean_text("Ti\x00tle  of \x00 post") == "Title of post"


def test_a_word_processor_line_break_in_a_title_becomes_a_space():
    # Word uses U+000B for manual line breaks: illegal in XML, but it separates words.
    assert clean_text("First line\x0bsecond line") == "First line second line"


def test_a_title_keeps_curly_quotes_dashes_accents_and_emoji():
    assert clean_text("“Café” — naïve 😀 ’s") == "“Café” — naïve 😀 ’s"


def test_a_blank_title_becomes_empty():
    assert clean_text(" \n\t\x00 ") == ""


# --- sanitize_html: keeping good content ----------------------------------------------


def test_typography_entities_and_emoji_survive_sanitizing():
    out = sanitize("<p>“Smart” quotes — dashes, café, &amp; &#8217;s 😀</p>")
    assert out == "<p>“Smart” quotes — dashes, café, &amp; ’s 😀</p>"


def test_a_non_breaking_space_is_kept_as_the_html_entity_nh3_writes():
    # Fine for type="html" content (escaped); not an XML entity, so not for raw XHTML.
    assert sanitize("<p>10&nbsp;km</p>") == "<p>10&nbsp;km</p>"


def test_nested_lists_come_through_intact():
    html = '<ul><li>one<ol start="3" reversed><li>three</li></ol></li><li>two</li></ul>'
    out = sanitize(html)
    assert out == '<ul><li>one<ol start="3" reversed=""><li>three</li></ol></li><li>two</li></ul>'


def test_a_table_keeps_its_structure_and_cell_spans():
    html = (
        '<table><caption>Scores</caption><thead><tr><th scope="col">Name</th></tr></thead>'
        '<tbody><tr><td colspan="2" rowspan="1">Ann</td></tr></tbody></table>'
    )
    assert sanitize(html) == html


def test_a_figure_with_a_caption_keeps_both_and_its_image_becomes_absolute():
    html = '<figure><img src="cat.jpg" alt="“Mog”" width="64"><figcaption>Mog</figcaption></figure>'
    assert sanitize(html) == (
        '<figure><img src="https://blog.example.com/2024/05/my-post/cat.jpg" alt="“Mog”"'
        ' width="64"><figcaption>Mog</figcaption></figure>'
    )


def test_a_code_block_keeps_its_language_class_for_syntax_highlighting():
    html = '<pre><code class="language-python">if a &lt; b:\n    print("hi")</code></pre>'
    assert sanitize(html) == html


def test_language_and_direction_are_kept_on_any_element():
    out = sanitize('<p dir="rtl" lang="ar">مرحبا</p><span lang="fr">oui</span>')
    assert out == '<p dir="rtl" lang="ar">مرحبا</p><span lang="fr">oui</span>'


def test_time_and_abbreviations_keep_their_machine_readable_attributes():
    html = '<time datetime="2024-05-01">May Day</time> <abbr title="HyperText">HTML</abbr>'
    assert sanitize(html) == html


def test_unknown_tags_are_dropped_but_their_text_is_kept():
    assert sanitize("<section><marquee>Hello</marquee></section>") == "Hello"


def test_links_get_no_rel_attribute_added():
    assert sanitize('<a href="https://x.org/">x</a>') == '<a href="https://x.org/">x</a>'


# --- sanitize_html: making URLs absolute ----------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("../about", "https://blog.example.com/2024/05/about"),
        ("#section", "https://blog.example.com/2024/05/my-post/#section"),
        ("/tag/x", "https://blog.example.com/tag/x"),
        ("?page=2", "https://blog.example.com/2024/05/my-post/?page=2"),
        ("https://other.org/x", "https://other.org/x"),
        ("mailto:me@example.org", "mailto:me@example.org"),
        ("tel:+15551234", "tel:+15551234"),
    ],
)
def test_a_link_in_a_post_points_where_the_reader_expects(href: str, expected: str):
    assert sanitize(f'<a href="{href}">go</a>') == f'<a href="{expected}">go</a>'


def test_a_protocol_relative_image_takes_the_scheme_of_the_site():
    out = sanitize('<img src="//cdn.example.net/x.png">')
    assert out == '<img src="https://cdn.example.net/x.png">'


def test_an_image_with_a_relative_srcset_gets_every_candidate_absolutized():
    out = sanitize('<img src="a.png" srcset="a.png 1x, /img/b.png 2x">')
    assert out == (
        '<img src="https://blog.example.com/2024/05/my-post/a.png"'
        ' srcset="https://blog.example.com/2024/05/my-post/a.png 1x,'
        ' https://blog.example.com/img/b.png 2x">'
    )


def test_a_srcset_keeps_width_and_density_descriptors_and_drops_junk_candidates():
    out = sanitize('<img srcset="s.png 640w,m.png 1.5x, junk.png ???, l.png">')
    base = "https://blog.example.com/2024/05/my-post/"
    assert out == f'<img srcset="{base}s.png 640w, {base}m.png 1.5x, {base}l.png">'


def test_a_picture_source_srcset_without_descriptors_is_absolutized():
    out = sanitize('<picture><source srcset="s.webp" type="image/webp"><img src="s.jpg"></picture>')
    assert 'srcset="https://blog.example.com/2024/05/my-post/s.webp"' in out
    assert 'type="image/webp"' in out


def test_media_and_quote_urls_are_absolutized_too():
    html = (
        '<video src="v.mp4" poster="p.jpg" controls><track src="c.vtt" kind="captions"'
        ' srclang="en" label="English"></video><audio src="/a.mp3"></audio>'
        '<blockquote cite="/source">quoted</blockquote><q cite="q.html">q</q>'
    )
    out = sanitize(html)
    for url in (
        "https://blog.example.com/2024/05/my-post/v.mp4",
        "https://blog.example.com/2024/05/my-post/p.jpg",
        "https://blog.example.com/2024/05/my-post/c.vtt",
        "https://blog.example.com/a.mp3",
        "https://blog.example.com/source",
        "https://blog.example.com/2024/05/my-post/q.html",
    ):
        assert f'"{url}"' in out
    assert 'kind="captions" srclang="en" label="English"' in out


def test_an_ampersand_in_a_url_stays_correctly_escaped():
    out = sanitize('<a href="list?a=1&amp;b=2">l</a>')
    assert out == '<a href="https://blog.example.com/2024/05/my-post/list?a=1&amp;b=2">l</a>'


# --- sanitize_html: hostile content ---------------------------------------------------


def test_a_post_with_a_script_in_its_body_loses_the_script_but_keeps_its_text():
    out = sanitize("<p>Before<script>alert(1)</script> after</p>")
    assert out == "<p>Before after</p>"


def test_an_image_with_an_onerror_handler_keeps_only_its_source():
    out = sanitize("<img src=x onerror=alert(1)>")
    assert out == '<img src="https://blog.example.com/2024/05/my-post/x">'


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_a_link_smuggling_a_script_url_keeps_its_text_but_loses_the_url(href: str):
    out = sanitize(f'<a href="{href}" title="t">click</a>')
    assert out == '<a title="t">click</a>'


@pytest.mark.parametrize("attr", ["cite", "srcset"])
@pytest.mark.parametrize(
    "url",
    [
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java&#10;script:alert(1)",
    ],
)
def test_script_urls_are_refused_in_attributes_nh3_does_not_check_itself(attr: str, url: str):
    tag = "blockquote" if attr == "cite" else "img"
    out = sanitize(f'<{tag} {attr}="{url}">x</{tag}>')
    assert_no_javascript(out.replace("\t", "").replace("\n", ""))
    assert attr not in out


def test_a_srcset_keeps_its_safe_candidates_and_drops_the_hostile_ones():
    out = sanitize('<img srcset="javascript:alert(1) 1x, /ok.png 2x, data:image/png;base64,AA 3x">')
    assert out == '<img srcset="https://blog.example.com/ok.png 2x">'


def test_data_urls_are_not_allowed_even_for_images():
    assert sanitize('<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">') == '<img alt="x">'


def test_a_hostile_base_url_cannot_turn_relative_links_into_scripts():
    out = sanitize_html('<a href="x">x</a><img srcset="y 1x">', "javascript:alert(1)//")
    assert_no_javascript(out)


def test_styles_and_forms_are_removed_and_iframes_and_embeds_leave_only_a_link():
    html = (
        '<style>body{display:none}</style><p style="position:fixed" onclick="alert(1)">Hi</p>'
        '<iframe src="https://evil.example/" onload="alert(1)"><p>frame text</p></iframe>'
        '<object data="x.swf" type="application/x-shockwave-flash"></object>'
        '<embed src="y.swf" onerror="alert(1)"><form action="/steal"><input></form>'
    )
    out = sanitize(html)
    assert out == (
        '<p>Hi</p><a href="https://evil.example/">Embedded content: evil.example</a>'
        '<a href="https://blog.example.com/2024/05/my-post/x.swf">Embedded content:'
        ' blog.example.com</a><a href="https://blog.example.com/2024/05/my-post/y.swf">'
        "Embedded content: blog.example.com</a>"
    )


def test_an_svg_with_an_onload_handler_is_removed():
    out = sanitize('<svg onload="alert(1)"><circle r="1"/></svg><p>ok</p>')
    assert out == "<p>ok</p>"
    assert_no_javascript(out)


def test_noscript_markup_does_not_leak_in_as_escaped_text():
    assert sanitize("<noscript><p>enable js</p></noscript><p>body</p>") == "<p>body</p>"


def test_control_characters_in_text_and_attributes_are_removed():
    out = sanitize('<p>t\x00e\x0bx\ufffet 😀</p><a href="/x" title="a\x0bb\x00c">l</a>')
    assert out == '<p>text 😀</p><a href="https://blog.example.com/x" title="abc">l</a>'
    assert_xml_safe(out)


def test_illegal_characters_written_as_character_references_are_removed_too():
    out = sanitize('<p>a&#11;b&#xFFFE;c&#1;d</p><abbr title="x&#12;y">z</abbr>')
    assert out == '<p>abcd</p><abbr title="xy">z</abbr>'
    assert_xml_safe(out)


# --- summary_from_html ----------------------------------------------------------------


def test_a_short_post_is_summarised_whole_without_an_ellipsis():
    assert summary_from_html("<p>Short and <em>sweet</em>.</p>", 100) == "Short and sweet."


def test_a_summary_exactly_the_limit_is_not_cut():
    assert summary_from_html("<p>abcde fghij</p>", 11) == "abcde fghij"


def test_a_long_post_is_cut_at_a_word_boundary_with_an_ellipsis_inside_the_limit():
    summary = summary_from_html("<p>The quick brown fox jumps over the lazy dog</p>", 20)
    assert summary == "The quick brown fox…"
    assert len(summary) <= 20


def test_a_word_ending_right_at_the_limit_is_kept_whole():
    # "The quick brown" is 15 chars; with the ellipsis that is 16.
    assert summary_from_html("The quick brown fox", 16) == "The quick brown…"


def test_a_single_enormous_word_is_hard_cut():
    assert summary_from_html("<p>Supercalifragilisticexpialidocious</p>", 10) == "Supercali…"


@pytest.mark.parametrize("length", range(1, 40))
def test_a_summary_never_exceeds_its_length(length: int):
    html = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>"
    summary = summary_from_html(html, length)
    assert len(summary) <= length
    assert not summary.startswith(" ")
    assert re.search(r"\s…$", summary) is None


def test_a_summary_decodes_entities_and_separates_paragraphs():
    html = "<h2>Title</h2><p>One&nbsp;&amp;&nbsp;two&#8217;s</p><p>Next<br>line</p>"
    assert summary_from_html(html, 100) == "Title One & two’s Next line"


def test_inline_markup_does_not_split_words_in_a_summary():
    assert summary_from_html("<p>H<sub>2</sub>O is <b>un</b>believable</p>", 100) == (
        "H2O is unbelievable"
    )


def test_a_summary_never_contains_script_or_style_text():
    html = "<style>p{color:red}</style><p>Real text</p><script>alert('x')</script>"
    assert summary_from_html(html, 100) == "Real text"


def test_a_summary_has_no_markup_even_from_escaped_tags():
    # Escaped markup is text: it is shown as "<b>", which the feed writer will escape.
    assert summary_from_html("<p>Use &lt;b&gt; for bold</p>", 100) == "Use <b> for bold"


def test_a_summary_has_no_xml_illegal_characters():
    summary = summary_from_html("<p>bad\x00 &#11;chars\ufffe &#xFFFF;here 😀</p>", 100)
    assert summary == "bad chars here 😀"
    assert_xml_safe(summary)


# --- first_image ----------------------------------------------------------------------


def test_first_image_is_the_absolutized_source_of_the_first_picture():
    body = sanitize('<p>Intro</p><img src="hero.jpg?w=1&amp;h=2"><img src="second.jpg">')
    assert first_image(body) == "https://blog.example.com/2024/05/my-post/hero.jpg?w=1&h=2"


def test_a_post_without_images_has_no_first_image():
    assert first_image(sanitize("<p>Just words</p>")) is None
    assert first_image("") is None


def test_first_image_reads_single_quoted_sources():
    assert first_image("<p><IMG alt='x' src='https://x.org/a.png?a=1&amp;b=2'></p>") == (
        "https://x.org/a.png?a=1&b=2"
    )


def test_first_image_is_not_fooled_by_src_text_inside_another_attribute():
    html = '<img alt="&gt; src=&quot;wrong.png" src="https://x.org/right.png">'
    assert first_image(html) == "https://x.org/right.png"


def test_an_image_whose_hostile_source_was_removed_is_skipped():
    body = sanitize('<img src="javascript:alert(1)"><img src="/real.png">')
    assert first_image(body) == "https://blog.example.com/real.png"


# A summary is made from as little of a long post as it needs (feeds/content.py,
# _leading_text): it must be exactly the summary of the whole post.

_PIECES = st.sampled_from([
    "<p>", "</p>", "<h2>Heading</h2>", "<br>", "word ", "longerword ", "&amp; ", "&nbsp;",
    "&#8217;", "<em>", "</em>", "<!-- a comment -->", "<script>var x = '<p>';</script>",
    "<style>p{}</style>", "<table><tr><td>cell</td></tr></table>", "stray<table>in table",
    "</table>", "<ul><li>item</li></ul>", "<a href='x'>link</a>", " \n\t ", "é😀 ", "<b",
    "&am", "Supercalifragilisticexpialidocious", "<pre>  pre  </pre>", "<li>",
])


def _whole_text_summary(html: str, length: int) -> str:
    text = content_module._text_of(html)  # the reference: the whole text
    if len(text) <= length:
        return text
    if length <= 0:
        return ""
    cut = text.rfind(" ", 0, length)
    head = text[:cut] if cut > 0 else text[: length - 1]
    return head.rstrip() + "…"


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=0, max_size=600), st.sampled_from([1, 20, 140, 300, 500]))
def test_a_summary_made_from_the_start_of_a_post_equals_the_summary_of_the_whole(
    pieces: list[str], length: int,
) -> None:
    html = "".join(pieces)
    assert summary_from_html(html, length) == _whole_text_summary(html, length)


def test_the_first_image_of_a_long_post_is_found_past_many_pieces() -> None:
    html = "<p>" + "text " * 2000 + '</p><img alt="a > b" src="https://x.example/a.png">'
    assert first_image(html) == "https://x.example/a.png"
    assert first_image('<p title="<img src=x>">no image</p>') is None


def test_a_summary_is_the_prose_not_a_players_fallback_or_a_caption():
    html = ('<video controls src="https://a.example/v.mp4">Your browser cannot play it.</video>'
            '<audio controls><source src="https://a.example/a.mp3">Sorry.</audio>'
            '<figure><img src="x.jpg"><figcaption>A caption</figcaption></figure>'
            "<p>Real text.</p><p>More.</p>")
    assert summary_from_html(html, 200) == "Real text. More."
