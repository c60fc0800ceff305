"""What WordPress does to a post's stored content when it displays it, as far as an import
can do it without WordPress: WordPress stores `[caption]`, `[gallery]`, `[audio]`,
`[video]`, `[embed]` shortcodes, bare video URLs and text without <p>, and expands them
in its `the_content` filters (wp-includes/default-filters.php) every time a page or feed
is shown. An export holds what was stored, so a feed built from it would show
"[caption id=...]" as text and lose every image caption, gallery and video.

`render` runs, in this order:
- Gutenberg's block comments out (`<!-- wp:paragraph -->`), and the "read more" marks
  (`<!--more-->`, `<!--more Read on-->`, `<!--noteaser-->`): a post shown whole has no teaser
  to cut, and left in, wpautop made `<p><!--more--></p>` of one on a line of its own, which
  the sanitizer leaves an empty `<p></p>`;
- the core shortcodes (wp-includes/shortcodes.php's grammar, `get_shortcode_regex`):
  caption (media.php `img_caption_shortcode`), gallery and playlist (the export's
  attachments), audio and video (media.php `wp_audio_shortcode`, `wp_video_shortcode`),
  embed (class-wp-embed.php), and Jetpack's youtube, vimeo, dailymotion, soundcloud and
  spotify, which WordPress.com exports are full of;
- autoembed (class-wp-embed.php `autoembed`): a URL alone on its line becomes its player
  when feeds/imports/embeds.py knows the provider, and stays as it is otherwise, as
  WordPress leaves it when no oEmbed provider answers;
- wpautop's paragraphs (`autop`).
Unknown shortcodes stay as text, as on a WordPress without the plugin that made them.

Where an import does less than WordPress: captions are figures whatever their width
(WordPress drops a caption whose width is 0); a gallery shows the full image, linked to the
file (thumbnail URLs are not in the export, and attachment pages do not move with the
blog); a playlist is a list of players.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from feeds.imports.embeds import player_html
from feeds.imports.shortcodes import Shortcodes
from feeds.imports.wpautop import autop, shortcode_unautop

__all__ = ["Attachment", "has_attachment_shortcodes", "render"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment item of the export (wp:post_type attachment): an uploaded file."""

    url: str
    """wp:attachment_url."""
    parent: str
    """wp:post_parent: the post it was uploaded to ("0": none)."""
    order: int
    """wp:menu_order (a gallery's order)."""
    caption: str = ""
    """The attachment's excerpt, which is its caption in WordPress (HTML)."""
    alt: str = ""
    """Postmeta _wp_attachment_image_alt."""
    title: str = ""


_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->\n?", re.DOTALL)
# wp-includes/post-template.php get_the_content: '<!--more(.*?)?-->' and '<!--noteaser-->'.
# On a line of its own, with that line's break: between two lines, it leaves one (a <br />).
_MORE = re.compile(r"^[ \t]*<!--(?:more.*?|noteaser)-->[ \t]*(?:\r?\n)?"
                   r"|<!--(?:more.*?|noteaser)-->", re.DOTALL | re.MULTILINE)

_Handler = Callable[["_Post", "_Code"], str | None]
# shortcode_parse_atts(): name="v", name='v', name=v, "v", 'v', v.
_ATTRIBUTE = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"""
)
_NBSP_OR_ZWSP = re.compile("[\u00a0\u200b]+")
# class-wp-embed.php autoembed(): a URL alone on its line, or alone in a paragraph. Anchored
# on a literal "\n" (`render` puts one before the text) rather than a multi-line "^", which
# re tries at every character: that was 45 us of a 5 kB post, this is 3.
_LONE_URL = re.compile(r'(\n[ \t\r]*(?:<p>)?)(https?://[^\s<>"]+)((?:</p>)?[ \t\r]*)(?=\n|$)')
_IMAGE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|heic|tiff?)$", re.IGNORECASE)
_AUDIO_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "flac": "audio/flac",
                "m4a": "audio/mp4", "wav": "audio/wav"}  # fmt: skip
_VIDEO_TYPES = {"mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm",
                "ogv": "video/ogg", "mov": "video/quicktime"}  # fmt: skip
# img_caption_shortcode(): the image (maybe in a link) first, the caption after it.
_CAPTIONED = re.compile(
    r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True, slots=True)
class _Code:
    """One shortcode: its attributes, and what it encloses (None: it encloses nothing)."""

    named: dict[str, str]
    positional: list[str]
    content: str | None


@dataclass(slots=True)
class _Post:
    post_id: str
    attachments: Mapping[str, Attachment]
    problems: list[str]


def has_attachment_shortcodes(content: str) -> bool:
    """Whether `render` needs the export's attachments (which may come after the post)."""
    return "[" in content and _ATTACHMENT_SHORTCODES.search(content)


def render(content: str, post_id: str, attachments: Mapping[str, Attachment]
           ) -> tuple[str, list[str]]:
    """The post's HTML as WordPress would show it, and the problems met (a gallery's
    attachments missing from the export, say) for the import's report."""
    post = _Post(post_id, attachments, [])
    blocks = "<!-- wp:" in content  # the block editor's: shown as stored, no wpautop
    text = _BLOCK_COMMENT.sub("", content) if blocks else content
    if "<!--" in text:
        text = _MORE.sub("", text)
    # WordPress's order (default-filters.php, class-wp-embed.php): [embed] and autoembed at
    # priority 8, wpautop at 10 (then shortcode_unautop), the other shortcodes at 11.
    if "[embed" in text:
        text = _EMBEDS.sub(lambda m: _expand(m, post), text)
    if "http" in text:
        text = _LONE_URL.sub(_autoembed, "\n" + text)[1:]
    text = autop(text, blocks=blocks)
    if "[" in text:
        text = shortcode_unautop(text, _SHORTCODES)
        text = _SHORTCODES.sub(lambda m: _expand(m, post), text).strip()
    return text, post.problems


def _autoembed(match: re.Match[str]) -> str:
    player = player_html(html.unescape(match.group(2)))
    return match.group(0) if player is None else match.group(1) + player + match.group(3)


def _expand(match: re.Match[str], post: _Post) -> str:
    if match.group(1) == "[" and match.group(6) == "]":
        return match.group(0)[1:-1]  # [[caption]]: the shortcode's own text, escaped
    tag = match.group(2)
    named, positional = _attributes(match.group(3))
    out = _HANDLERS[tag](post, _Code(named, positional, match.group(5)))
    if out is None:
        return match.group(0)
    return match.group(1) + out + match.group(6)


def _attributes(text: str) -> tuple[dict[str, str], list[str]]:
    """shortcode_parse_atts(): names lower-cased. (WordPress also strips C-style backslashes
    from the values; an export seldom has any.)"""
    named: dict[str, str] = {}
    positional: list[str] = []
    for m in _ATTRIBUTE.finditer(_NBSP_OR_ZWSP.sub(" ", text)):
        if m.group(1) is not None:
            named[m.group(1).lower()] = m.group(2)
        elif m.group(3) is not None:
            named[m.group(3).lower()] = m.group(4)
        elif m.group(5) is not None:
            named[m.group(5).lower()] = m.group(6)
        else:
            positional.append(next(g for g in m.groups()[6:] if g is not None))
    return named, positional


def _url(value: str) -> str:
    """A URL as written in the post's HTML (maybe with &amp;), as text."""
    return html.unescape(value.strip())


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _size(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 6 else None


def _caption(post: _Post, code: _Code) -> str:
    named, content = code.named, code.content
    body = (content or "").strip()
    caption = named.get("caption", "").strip()
    if "caption" not in named and (m := _CAPTIONED.match(body)):
        body, caption = m.group(1), m.group(2).strip()
    body = _SHORTCODES.sub(lambda m: _expand(m, post), body) if "[" in body else body
    if not caption:
        return body
    return f"<figure>{body}<figcaption>{caption}</figcaption></figure>"


def _embed(post: _Post, code: _Code) -> str | None:
    named, content = code.named, code.content
    if content is None:
        return None
    page = _url(content)
    player = player_html(page, _size(named.get("width")), _size(named.get("height")))
    if player is not None:
        return player
    if re.fullmatch(r"https?://\S+", page):  # WP_Embed::maybe_make_link (linkifunknown)
        return f'<a href="{_attr(page)}">{_attr(page)}</a>'
    return content


# Jetpack's shortcodes: [youtube=URL&w=640&h=385], [youtube URL], [vimeo 141358 w=500],
# [dailymotion id=x8oma9], [soundcloud url="..."], [spotify id="spotify:track:..."].
_JETPACK_PAGES = {
    "youtube": "https://www.youtube.com/watch?v={}", "vimeo": "https://vimeo.com/{}",
    "dailymotion": "https://www.dailymotion.com/video/{}",
}  # fmt: skip


def _jetpack(tag: str) -> _Handler:
    def handler(post: _Post, code: _Code) -> str | None:
        named, positional = code.named, code.positional
        given = named.get("url") or named.get("id") or (positional[0] if positional else "")
        given = _url(given.lstrip("="))
        if tag == "spotify" and given.startswith("spotify:"):
            given = "https://open.spotify.com/" + "/".join(given.split(":")[1:])
        elif "://" not in given and tag in _JETPACK_PAGES:
            given = _JETPACK_PAGES[tag].format(given)
        width = _size(named.get("w") or named.get("width"))
        height = _size(named.get("h") or named.get("height"))
        if tag == "youtube" and "&w=" in given:  # [youtube=URL&w=640&h=385]
            given, _, sizes = given.partition("&w=")
            w, _, h = sizes.partition("&h=")
            width, height = _size(w), _size(h.partition("&")[0])
        player = player_html(given, width, height)
        if player is None:
            post.problems.append(f"[{tag}]: no player for {given!r}, left as text")
        return player

    return handler


def _sources(named: dict[str, str], types: Mapping[str, str]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    if src := _url(named.get("src", "")):
        found.append((src, None))
    found += [(_url(named[ext]), kind) for ext, kind in types.items() if named.get(ext, "").strip()]
    return found


def _media(element: str, sources: list[tuple[str, str | None]], extra: str = "") -> str:
    first = _attr(sources[0][0])
    if len(sources) == 1:
        inner = ""
        opening = f'<{element} controls src="{first}"{extra}>'
    else:
        opening = f"<{element} controls{extra}>"
        inner = "".join(f'<source src="{_attr(url)}"' + (f' type="{kind}"' if kind else "") + ">"
                        for url, kind in sources)  # fmt: skip
    return f'{opening}{inner}<a href="{first}">{first}</a></{element}>'


def _files(post: _Post, code: _Code, tag: str, types: Mapping[str, str]
           ) -> list[tuple[str, str | None]]:
    """The sources an [audio] or [video] names, else the first such file attached to the
    post (as WordPress does); none is a problem."""
    sources = _sources(code.named, types)
    if not sources:
        attached = _children(post, post.post_id, types)
        if not attached:
            post.problems.append(f"[{tag}] without a file, and none attached to the post: left out")
        sources = [(attached[0].url, None)] if attached else []
    return sources


def _audio(post: _Post, code: _Code) -> str:
    sources = _files(post, code, "audio", _AUDIO_TYPES)
    return _media("audio", sources) if sources else ""


def _video(post: _Post, code: _Code) -> str:
    named = code.named
    width, height = _size(named.get("width")) or 640, _size(named.get("height")) or 360
    sources = _files(post, code, "video", _VIDEO_TYPES)
    if not sources:
        return ""
    if (player := player_html(sources[0][0], width, height)) is not None:
        return player  # [video src="https://youtu.be/..."]: WordPress plays those too
    poster = _url(named.get("poster", ""))
    extra = f' width="{width}" height="{height}"' + (f' poster="{_attr(poster)}"' if poster else "")
    return _media("video", sources, extra)


def _children(post: _Post, parent: str, types: Mapping[str, str] | None) -> list[Attachment]:
    """A post's attachments in gallery order (menu_order, then id), of the file types given
    (None: images)."""
    return [a for _, a in _children_by_id(post, parent, types)]


def _children_by_id(post: _Post, parent: str, types: Mapping[str, str] | None
                    ) -> list[tuple[str, Attachment]]:
    found = [(a.order, int(i) if i.isdigit() else 0, i, a) for i, a in post.attachments.items()
             if a.parent == parent and _is_kind(a.url, types)]  # fmt: skip
    return [(i, a) for _, _, i, a in sorted(found, key=lambda t: (t[0], t[1]))]


def _is_kind(url: str, types: Mapping[str, str] | None) -> bool:
    path = url.partition("?")[0]
    if types is None:
        return _IMAGE.search(path) is not None
    return path.rpartition(".")[2].lower() in types


def _ids(value: str) -> list[str]:
    return [i.strip() for i in value.split(",") if i.strip()]


def _listed(post: _Post, named: dict[str, str], types: Mapping[str, str] | None, tag: str
            ) -> list[Attachment]:
    """gallery_shortcode()/wp_playlist_shortcode(): `ids` (or `include`) in their order,
    else the attachments of post `id` (this post by default); less `exclude`."""
    ids = _ids(named.get("ids") or named.get("include") or "")
    if ids:
        missing = [i for i in ids if i not in post.attachments]
        if missing:
            post.problems.append(f"[{tag}]: attachment {', '.join(missing)} not in the export,"
                                 " left out")
        chosen = [(i, post.attachments[i]) for i in ids if i in post.attachments]
        chosen = [(i, a) for i, a in chosen if _is_kind(a.url, types)]
    else:
        chosen = _children_by_id(post, named.get("id", "").strip() or post.post_id, types)
    excluded = set(_ids(named.get("exclude", "")))
    return [a for i, a in chosen if i not in excluded]


def _gallery(post: _Post, code: _Code) -> str:
    named = code.named
    images = _listed(post, named, None, "gallery")
    if not images:
        post.problems.append("[gallery] with no image in the export: left out")
        return ""
    link = named.get("link", "").strip().lower()
    out = []
    for image in images:
        src = _attr(image.url)
        img = f'<img src="{src}" alt="{_attr(image.alt)}">'
        if link != "none":
            img = f'<a href="{src}">{img}</a>'
        caption = f"<figcaption>{image.caption}</figcaption>" if image.caption.strip() else ""
        out.append(f"<figure>{img}{caption}</figure>")
    return "<div>" + "".join(out) + "</div>"


def _playlist(post: _Post, code: _Code) -> str:
    named = code.named
    video = named.get("type", "").strip().lower() == "video"
    types = _VIDEO_TYPES if video else _AUDIO_TYPES
    tracks = _listed(post, named, types, "playlist")
    if not tracks:
        post.problems.append("[playlist] with no file in the export: left out")
        return ""
    items = "".join(
        f"<li>{_media('video' if video else 'audio', [(t.url, None)])}"
        f"{html.escape(t.title) if t.title else ''}</li>" for t in tracks
    )
    return f"<ol>{items}</ol>"


_HANDLERS: dict[str, _Handler] = {
    "caption": _caption, "wp_caption": _caption, "embed": _embed, "audio": _audio,
    "video": _video, "gallery": _gallery, "playlist": _playlist,
    **{tag: _jetpack(tag) for tag in ("youtube", "vimeo", "dailymotion", "soundcloud", "spotify")},
}  # fmt: skip
# Shortcode names are case-sensitive in WordPress too: [Caption] is text. Each set is found in
# time linear in the post (feeds/imports/shortcodes.py): WordPress's one expression is
# quadratic on a post full of shortcodes never closed.
_SHORTCODES = Shortcodes([t for t in _HANDLERS if t != "embed"])
_EMBEDS = Shortcodes(["embed"])
_ATTACHMENT_SHORTCODES = Shortcodes(["gallery", "playlist", "audio", "video"])
