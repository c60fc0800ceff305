"""A WordPress post full of shortcodes that are never closed (a `[caption]` with no
`[/caption]`, a `[gallery` with no `]`) comes in as WordPress shows it, in time that grows
with the post, not with its square: WordPress's one expression read on to the end of the post
at every such opener, and a post of 20,000 took minutes (feeds/imports/shortcodes.py). The
shortcodes found are exactly those WordPress's expression finds, on any text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.imports.shortcodes import SHORTCODE, Shortcodes
from feeds.imports.wp_content import has_attachment_shortcodes, render
from feeds.imports.wpautop import _MEDIA_OPEN, _media_open

AUDIO = "https://ledger.example.org/wp-content/uploads/2024/01/last.mp3"
PLAYER = f'<audio controls src="{AUDIO}"><a href="{AUDIO}">{AUDIO}</a></audio>'
EACH = 10_000


def test_a_megabyte_post_of_unclosed_captions_and_galleries_comes_in_as_wordpress_shows_it(
) -> None:
    captions = "".join(f'Day {i}: [caption id="attachment_{i}" align="alignleft" width="300"]'
                       "the broad beans are up, and the peas after them\n\n"
                       for i in range(EACH))
    galleries = "".join(f'[gallery ids="{i},{i + 1}" columns="3" link="file" size="large"\n\n'
                        for i in range(EACH))
    body = f'{captions}[audio src="{AUDIO}"]\n\n{galleries}'
    assert len(body) > 1_000_000

    html, problems = render(body, "5", {})

    # Each caption encloses nothing (no [/caption] follows): its shortcode goes, its text
    # stays; the audio after 10,000 of them still plays; a [gallery with no "]" after it is
    # no shortcode, so WordPress shows it as text.
    assert problems == []
    assert html == "\n".join([
        *(f"<p>Day {i}: the broad beans are up, and the peas after them</p>"
          for i in range(EACH)),
        PLAYER,
        *(f'<p>[gallery ids="{i},{i + 1}" columns="3" link="file" size="large"</p>'
          for i in range(EACH)),
    ])
    assert has_attachment_shortcodes(body)
    assert not has_attachment_shortcodes(galleries)


def test_a_post_of_unclosed_video_shortcodes_beside_a_source_keeps_them_as_text() -> None:
    body = '<video controls><source src="/a.webm"></video>\n\n' + "[video width=640\n\n" * EACH

    html, _ = render(body, "5", {})

    assert html.count("<p>[video width=640</p>") == EACH


# --- the same shortcodes as WordPress's expression, on any text -----------------------------

TAGS = ["caption", "wp_caption", "gallery", "video"]
WORDPRESS = re.compile(SHORTCODE.format(tags="|".join(TAGS)))
WORDPRESS_UNAUTOP = re.compile(  # shortcode_unautop(), wp-includes/formatting.php
    rf"<p>\s*+(\[({'|'.join(TAGS)})(?![\w-])[^\]/]*(?:/(?!\])[^\]/]*)*?"
    r"(?:/\]|\](?:[^\[]*+(?:\[(?!/\2\])[^\[]*+)*+\[/\2\])?))\s*+</p>")
FOUND = Shortcodes(TAGS)
PIECES = st.sampled_from([
    "[", "]", "/", "[[", "]]", "[/", "/]", "[caption", "[wp_caption", "[gallery", "[video",
    "[/caption]", "[/wp_caption]", "[/video]", "caption", "video", "<p>", "</p>", " ", "\n",
    "\t", "\u2003", "\x1c", "x", "-", "_", "é", "a=b", 'id="7"', "<", ">", "[audio", "<video",
])
TEXTS = st.lists(PIECES, max_size=30).map("".join)


def groups(match: re.Match[str]) -> str:
    return "<" + "|".join(map(str, match.groups())) + ">"


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_the_shortcodes_found_are_wordpresss_with_every_group(text: str) -> None:
    assert FOUND.sub(groups, text) == WORDPRESS.sub(groups, text)
    assert FOUND.search(text) == (WORDPRESS.search(text) is not None)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_a_paragraph_that_is_one_shortcode_loses_its_p_as_in_wordpress(text: str) -> None:
    assert FOUND.unautop(text) == WORDPRESS_UNAUTOP.sub(r"\1", text)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_media_openers_lose_the_space_after_them_as_in_wordpress(text: str) -> None:
    assert _media_open(text) == _MEDIA_OPEN.sub(r"\1", text)
